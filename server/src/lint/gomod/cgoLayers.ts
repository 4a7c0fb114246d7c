/**
 * Chooses the best cgo layer available for a go.mod: `go list` when it may and can run, otherwise the module sources
 * on disk, and the list of well-known cgo modules for requirements whose source is not there.
 */
import * as path from 'node:path';
import type { CgoFinding } from './analyze';
import { knownCgoModule } from './cgoModules';
import { goListCgo, GoListOptions } from '../../apple/goList';
import { scanRequirements } from './localScan';
import { parseGoMod } from './parse';

export interface CgoResult {
  findings: CgoFinding[];
  /** Why `go list` was not used, when it was not (for logs). */
  fallbackReason?: string;
}

/** The layers that need no process: module sources, then well-known modules. Synchronous, for every keystroke. */
export function localCgo(
  goModFile: string,
  text: string,
  goarchs: string[],
  env: NodeJS.ProcessEnv = process.env,
): CgoFinding[] {
  const { requires } = parseGoMod(text);
  const { findings, unread } = scanRequirements(path.dirname(goModFile), requires, goarchs, env);
  for (const r of unread)
    if (knownCgoModule(r.path)) findings.push({ module: r.path, packages: [], layer: 'known cgo modules' });
  return findings;
}

/** `go list` first; when it fails or cannot load every package, the local layers, each finding carrying the reason. */
export async function detectCgo(
  goModFile: string,
  text: string,
  options: Omit<GoListOptions, 'dir'> & { useGoList: boolean },
): Promise<CgoResult> {
  if (options.useGoList) {
    try {
      const modules = await goListCgo({ ...options, dir: path.dirname(goModFile) });
      return { findings: modules.map((m) => ({ ...m, layer: 'go list' as const })) };
    } catch (error) {
      const reason = (error as Error).message;
      // Each finding says that go list was asked and could not answer, and why: the user can fix that.
      const findings = localCgo(goModFile, text, options.goarchs, { ...process.env, ...options.env }).map((f) => ({
        ...f,
        goListFailure: reason,
      }));
      return { findings, fallbackReason: reason };
    }
  }
  return {
    findings: localCgo(goModFile, text, options.goarchs, { ...process.env, ...options.env }),
    fallbackReason: 'go list is off (untrusted workspace or disabled)',
  };
}
