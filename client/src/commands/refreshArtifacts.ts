/** "Refresh" in the macOS Signing view: lists and inspects the artifacts again. */
import type { ClientCommand } from './registry';

export const refreshArtifactsCommand: ClientCommand = {
  id: 'goMacosSign.refreshArtifacts',
  requiresTrust: false,
  run: (c) => c.view.refresh(),
};
