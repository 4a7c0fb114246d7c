/** Every command the client registers, in one table (registry.ts registers them and checks trust). */
import { chooseIdentityCommand } from './chooseIdentity';
import { copyCdhashCommand } from './copyCdhash';
import { createEntitlementsCommand } from './createEntitlements';
import { createReleaseWorkflowCommand } from './createReleaseWorkflow';
import { inspectCommand, showDetailsCommand } from './inspect';
import { notarizeCommand } from './notarize';
import { openNotarizationLogCommand } from './openNotarizationLog';
import type { ClientCommand } from './registry';
import { refreshArtifactsCommand } from './refreshArtifacts';
import { revealArtifactCommand } from './revealArtifact';
import { buildCommand, releaseCommand, signCommand, stapleCommand, verifyCommand } from './runStep';
import { setApiKeyCommand, setUpCredentialsCommand } from './setUpCredentials';
import { useForBuildCommand } from './useForBuild';

export const COMMANDS: readonly ClientCommand[] = [
  inspectCommand,
  showDetailsCommand,
  buildCommand,
  signCommand,
  stapleCommand,
  verifyCommand,
  releaseCommand,
  notarizeCommand,
  refreshArtifactsCommand,
  revealArtifactCommand,
  copyCdhashCommand,
  chooseIdentityCommand,
  setUpCredentialsCommand,
  createEntitlementsCommand,
  openNotarizationLogCommand,
  setApiKeyCommand,
  createReleaseWorkflowCommand,
  useForBuildCommand,
];

export { registerCommands } from './registry';
export type { CommandContext } from './registry';
