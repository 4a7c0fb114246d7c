/**
 * The CLI's command table: every command, in the order the help lists them. Adding a command is adding its entry
 * (cli/command.ts says what an entry is); the parser, the help and the exit code of a usage error come with it.
 */
import type { Command } from './command';
import { inspect, lint, verify } from './commands/check';
import { identity } from './commands/identity';
import { init } from './commands/init';
import { RELEASE_COMMANDS } from './commands/release';

export const COMMANDS: readonly Command[] = [inspect, verify, lint, ...RELEASE_COMMANDS, init, identity];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
