/**
 * The engine's front door: a path in (file, .app bundle, disk image, installer package or directory), inspection
 * reports out.
 *
 * Directories are searched for Mach-O files, disk images (koly trailer) and flat packages (xar magic) by their
 * content, not their names, and for .app bundles by their `Contents/Info.plist`; a bundle is reported as one artifact.
 * A disk image or package is reported by its own signature and stapled ticket; its contents are not read. Symbolic links inside directories are not followed
 * (no loops, no escaping the tree). Used by the CLI and by the language server's inspect request alike.
 */
import * as path from 'node:path';
import { isAppBundle, readAppBundle } from './bundle/app';
import { dmgSummary, verifyDmgSignature } from './bundle/dmg';
import { pkgSummary, readPkg } from './bundle/pkg';
import { artifactContent, fileContent } from './bundle/stapledTicket';
import { runDiskImageChecks, runPackageChecks } from './checks/containers';
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
    return await inspectOpenFile(source, file, options);
  } finally {
    await source.close();
  }
}

async function inspectOpenFile(source: FileSource, file: string, options: EngineOptions): Promise<InspectReport> {
  const { kind, slices } = await inspectMachO(source, {}, options);
  return {
    path: file,
    kind,
    architectures: slices,
    checks: runReadinessChecks({ kind, slices }, checkOptions(options)),
  };
}

/**
 * A file named on its own: opened once to tell what it holds and, for a Mach-O, to inspect it (an open is three round
 * trips to libuv's threads; the first also starts them). Anything but a disk image or a package is read as Mach-O, so
 * that the error says what it is not.
 */
async function inspectNamedFile(file: string, options: EngineOptions): Promise<InspectReport> {
  const source = await FileSource.open(file);
  let content: ReturnType<typeof fileContent>;
  try {
    content = fileContent(source);
    if (content !== 'dmg' && content !== 'pkg') return await inspectOpenFile(source, file, options);
  } finally {
    await source.close();
  }
  return content === 'dmg' ? inspectDiskImage(file) : inspectPackage(file);
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
      stapledTicket: bundle.report.stapledTicket,
      architectures: slices,
      checks,
    };
  } finally {
    await source.close();
  }
}

/** Inspects a disk image: its koly trailer, its own signature (verified) and stapled ticket. */
export async function inspectDiskImage(file: string): Promise<InspectReport> {
  const { info, problems } = await verifyDmgSignature(file);
  const diskImage = dmgSummary(info, info.signature ? problems : []);
  return {
    path: file,
    kind: 'dmg',
    diskImage,
    stapledTicket: diskImage.stapledTicket,
    architectures: [],
    checks: runDiskImageChecks(diskImage),
  };
}

/** Inspects a flat installer package: its TOC, checksum (checked), signatures and stapled ticket. */
export async function inspectPackage(file: string): Promise<InspectReport> {
  const pkg = pkgSummary(await readPkg(file));
  return {
    path: file,
    kind: 'pkg',
    package: pkg,
    stapledTicket: pkg.stapledTicket,
    architectures: [],
    checks: runPackageChecks(pkg),
  };
}

type ArtifactKind = 'file' | 'app' | 'dmg' | 'pkg';

/** What a regular file holds, as far as inspection goes: Mach-O, disk image, package, or nothing we read (null). */
async function fileKind(file: string): Promise<ArtifactKind | null> {
  try {
    const content = await artifactContent(file);
    return content === 'binary' ? 'file' : content === 'dmg' || content === 'pkg' ? content : null;
  } catch (error) {
    if (error instanceof FileAccessError) return null;
    throw error;
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

/**
 * Finds Mach-O files and .app bundles under a directory, in a stable order; with `containers`, disk images and flat
 * packages too (the pre-flight, which reads only Mach-O files, leaves them out).
 */
export async function findArtifacts(
  root: string,
  { containers = false }: { containers?: boolean } = {},
): Promise<{ path: string; kind: ArtifactKind }[]> {
  const found: { path: string; kind: ArtifactKind }[] = [];
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
      } else if (entry.kind === 'file') {
        const kind = containers ? await fileKind(full) : (await looksLikeMachO(full)) ? 'file' : null;
        if (kind) found.push({ path: full, kind });
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
  if (!isDirectory) {
    try {
      result.reports.push(await inspectNamedFile(target, options));
    } catch (error) {
      result.errors.push({ path: target, message: errorMessage(error) });
    }
    return result;
  }
  const targets: { path: string; kind: ArtifactKind }[] = isAppBundle(target)
    ? [{ path: target, kind: 'app' }]
    : await findArtifacts(target, { containers: true });
  if (targets.length === 0) {
    result.errors.push({
      path: target,
      message: `${target}: no Mach-O files, .app bundles, disk images or installer packages found`,
    });
  }
  for (const item of targets) {
    try {
      result.reports.push(
        item.kind === 'app'
          ? await inspectApp(item.path, options)
          : item.kind === 'dmg'
            ? await inspectDiskImage(item.path)
            : item.kind === 'pkg'
              ? await inspectPackage(item.path)
              : await inspectFile(item.path, options),
      );
    } catch (error) {
      result.errors.push({ path: item.path, message: errorMessage(error) });
    }
  }
  return result;
}
