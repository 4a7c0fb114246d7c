/**
 * The engine's front door: a path in (file, .app bundle or directory), inspection reports out.
 *
 * Directories are searched for Mach-O files by their magic bytes, not their names, and for .app bundles by their
 * `Contents/Info.plist`; a bundle is reported as one artifact. Symbolic links inside directories are not followed
 * (no loops, no escaping the tree). Used by the CLI and by the language server's inspect request alike.
 */
import * as path from 'node:path';
import { isAppBundle, readAppBundle } from './bundle/app';
import { runReadinessChecks } from './checks/readiness';
import { InputError } from './errors';
import { DirectoryEntry, FileAccessError, listDirectoryAsync, readHead, statKindAsync } from './fileAccess';
import { sniffMachO } from './macho/container';
import { inspectMachO, InspectOptions } from './macho/inspect';
import { FileSource } from './macho/source';
import type { CheckOptions, InspectReport, InspectRequest } from './protocol';

export interface EngineOptions extends InspectOptions {
  checks?: Partial<CheckOptions>;
}

function checkOptions(options: EngineOptions): CheckOptions {
  return { architectures: options.checks?.architectures ?? [] };
}

/** Inspects one Mach-O or universal file. Throws InputError when it is not one or cannot be read. */
export async function inspectFile(file: string, options: EngineOptions = {}): Promise<InspectReport> {
  const source = await FileSource.open(file);
  try {
    const { kind, slices } = await inspectMachO(source, {}, options);
    return {
      path: file,
      kind,
      architectures: slices,
      checks: runReadinessChecks({ kind, slices }, checkOptions(options)),
    };
  } finally {
    await source.close();
  }
}

/** Inspects an .app bundle through its main executable, with its Info.plist and resource seal. */
export async function inspectApp(root: string, options: EngineOptions = {}): Promise<InspectReport> {
  const bundle = readAppBundle(root);
  const source = await FileSource.open(bundle.executablePath);
  try {
    const { slices } = await inspectMachO(
      source,
      { infoPlist: bundle.infoPlist, codeResources: bundle.codeResources },
      options,
    );
    const checks = runReadinessChecks(
      {
        kind: 'app',
        slices,
        hasProvisioningProfile: bundle.hasProvisioningProfile,
        resourceSeal: bundle.report.resourceSeal,
      },
      checkOptions(options),
    );
    return {
      path: root,
      kind: 'app',
      executable: bundle.executablePath,
      bundle: bundle.report,
      architectures: slices,
      checks,
    };
  } finally {
    await source.close();
  }
}

/** Reads the first bytes of a file to tell whether it is a Mach-O; false for anything unreadable or not a file. */
export async function looksLikeMachO(file: string): Promise<boolean> {
  try {
    return sniffMachO(await readHead(file, 8)) !== null;
  } catch (error) {
    if (error instanceof FileAccessError) return false;
    throw error;
  }
}

/** Finds Mach-O files and .app bundles under a directory, in a stable order. */
export async function findArtifacts(root: string): Promise<{ path: string; kind: 'file' | 'app' }[]> {
  const found: { path: string; kind: 'file' | 'app' }[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let entries: DirectoryEntry[];
    try {
      entries = await listDirectoryAsync(dir);
    } catch (error) {
      if (error instanceof FileAccessError) continue; // unreadable directories are skipped, as `find` would report and go on
      throw error;
    }
    const subdirs: string[] = [];
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      // Symbolic links, FIFOs, devices and sockets are neither followed nor opened.
      if (entry.kind === 'directory') {
        if (entry.name.endsWith('.app') && isAppBundle(full)) found.push({ path: full, kind: 'app' });
        else subdirs.push(full);
      } else if (entry.kind === 'file' && (await looksLikeMachO(full))) {
        found.push({ path: full, kind: 'file' });
      }
    }
    pending.push(...subdirs.reverse());
  }
  return found;
}

function errorMessage(error: unknown): string {
  if (error instanceof InputError) return error.message;
  return `internal error: ${error instanceof Error ? error.message : String(error)}`;
}

/** Inspects everything at `target`; input problems become `errors`, never exceptions. */
export async function inspectPath(target: string, options: EngineOptions = {}): Promise<InspectRequest.Result> {
  const result: InspectRequest.Result = { reports: [], errors: [] };
  let isDirectory: boolean;
  try {
    isDirectory = (await statKindAsync(target)) === 'directory';
  } catch (error) {
    if (!(error instanceof FileAccessError)) throw error;
    result.errors.push({ path: target, message: error.message });
    return result;
  }
  const targets: { path: string; kind: 'file' | 'app' }[] = !isDirectory
    ? [{ path: target, kind: 'file' }]
    : isAppBundle(target)
      ? [{ path: target, kind: 'app' }]
      : await findArtifacts(target);
  if (isDirectory && targets.length === 0) {
    result.errors.push({ path: target, message: `${target}: no Mach-O files or .app bundles found` });
  }
  for (const item of targets) {
    try {
      result.reports.push(
        item.kind === 'app' ? await inspectApp(item.path, options) : await inspectFile(item.path, options),
      );
    } catch (error) {
      result.errors.push({ path: item.path, message: errorMessage(error) });
    }
  }
  return result;
}
