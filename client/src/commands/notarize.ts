/** "Notarize…": the Notarizer (notarizeCommand.ts) submits the artifact that invoked it, or one the user picks. */
import { ClientCommand, uriOf } from './registry';

export const notarizeCommand: ClientCommand = {
  id: 'goMacosSign.notarize',
  requiresTrust: true,
  run: (c, arg) => c.notarizer.notarize(uriOf(arg)),
};
