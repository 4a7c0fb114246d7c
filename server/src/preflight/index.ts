/**
 * The notarization pre-flight on a path: inspects every Mach-O inside what `notarize` would submit and returns the
 * certain rejections (checks/preflight.ts), so nothing Apple will certainly refuse is uploaded.
 *
 * What is read: a bare Mach-O or universal file; an .app bundle (its main executable with its Info.plist and resource
 * seal, and all nested code: helpers, frameworks, nested bundles); a .zip, read in-process (zipEntries.ts), each
 * Mach-O entry inspected from memory with the Info.plist and CodeResources of the bundle it belongs to; any other
 * directory, searched like `inspect` does; a flat .pkg (xar magic): every Mach-O in its components' payloads
 * (pkgPayload.ts), from memory. The contents of disk images (told by their koly trailer or their name) and payloads
 * that cannot be read (pbzx, too large) are not read: they are listed in `skipped`, never reported as clean; so is
 * a file that is none of these, and one that looks like a Mach-O but cannot be parsed (with the reason). Symbolic
 * links are not followed.
 */
import * as path from 'node:path';
import { isAppBundle } from '../bundle/app';
import { KOLY_SIZE } from '../bundle/dmg';
import { preflight } from '../checks/preflight';
import { runReadinessChecks } from '../checks/readiness';
import { InputError } from '../errors';
import { FileAccessError, isRegularFile, readFileBounded, readHead, statKindAsync } from '../fileAccess';
import { findArtifacts, inspectApp } from '../inspect';
import { sniffMachO } from '../macho/container';
import { ExternalComponents } from '../macho/verify';
import { inspectMachO, InspectOptions } from '../macho/inspect';
import { BufferSource, ByteSource, FileSource } from '../macho/source';
import type { InspectReport, PreflightResult } from '../protocol';
import { PKG_PAYLOAD_LIMITS, PkgPayloadLimits, pkgPayloadFiles } from './pkgPayload';
import { ZIP_LIMITS, ZipArchive, ZipLimits } from './zipEntries';

export type { PreflightFinding, PreflightResult } from '../protocol';
export { preflight, CERTAIN_REJECTIONS } from '../checks/preflight';

export interface PreflightOptions extends InspectOptions {
  /** Bounds for reading a .zip (tests lower them). */
  zipLimits?: Partial<ZipLimits>;
  /** Bounds for reading a .pkg's payloads. */
  pkgLimits?: Partial<PkgPayloadLimits>;
}

/**
 * Where the Info.plist and CodeResources of the bundle that holds `file` would be (paths relative to the same root,
 * `/`-separated): `X/Contents/MacOS/exe` (apps, app extensions, XPC services, plug-ins) and
 * `F.framework/Versions/V/exe`. Passing them is harmless for code that does not seal them (a helper tool).
 */
export function bundleComponentPaths(file: string): { infoPlist: string; codeResources: string } | null {
  const parts = file.split('/');
  const n = parts.length;
  if (n >= 3 && parts[n - 2] === 'MacOS' && parts[n - 3] === 'Contents') {
    const contents = parts.slice(0, n - 2).join('/');
    return { infoPlist: `${contents}/Info.plist`, codeResources: `${contents}/_CodeSignature/CodeResources` };
  }
  if (n >= 3 && parts[n - 3] === 'Versions') {
    const version = parts.slice(0, n - 1).join('/');
    return { infoPlist: `${version}/Resources/Info.plist`, codeResources: `${version}/_CodeSignature/CodeResources` };
  }
  return null;
}

async function reportFor(source: ByteSource, name: string, external: ExternalComponents, options: InspectOptions) {
  const { kind, slices } = await inspectMachO(source, external, options);
  const report: InspectReport = {
    path: name,
    kind,
    architectures: slices,
    checks: runReadinessChecks({ kind, slices }, { architectures: [] }),
  };
  return report;
}

function message(error: unknown): string {
  if (error instanceof InputError) return error.message;
  throw error;
}

/** Reads a bundle component beside a file on disk, or null when there is none (or it cannot be read). */
function readComponent(file: string): Buffer | null {
  try {
    return isRegularFile(file) ? readFileBounded(file, 'text') : null;
  } catch (error) {
    if (error instanceof FileAccessError) return null;
    throw error;
  }
}

/** A Mach-O on disk, with its bundle's components when it is a bundle's executable. */
async function inspectOnDisk(file: string, options: InspectOptions): Promise<InspectReport> {
  const where = bundleComponentPaths(file.split(path.sep).join('/'));
  const external: ExternalComponents = where
    ? { infoPlist: readComponent(where.infoPlist) ?? undefined, codeResources: readComponent(where.codeResources) }
    : {};
  const source = await FileSource.open(file);
  try {
    return await reportFor(source, file, external, options);
  } finally {
    await source.close();
  }
}

/** An .app and all the code inside it: the main executable through inspectApp, everything else on its own. */
async function inspectBundle(root: string, options: InspectOptions, result: Collected): Promise<void> {
  let main: string | undefined;
  try {
    const report = await inspectApp(root, options);
    main = report.executable;
    result.reports.push(report);
    result.inspected.push(report.executable ?? root);
  } catch (error) {
    result.skipped.push({ path: root, reason: message(error) });
  }
  for (const item of await findArtifacts(root)) {
    if (item.kind === 'app') await inspectBundle(item.path, options, result);
    else if (item.path !== main) await inspectOne(item.path, options, result);
  }
}

async function inspectOne(file: string, options: InspectOptions, result: Collected): Promise<void> {
  try {
    result.reports.push(await inspectOnDisk(file, options));
    result.inspected.push(file);
  } catch (error) {
    result.skipped.push({ path: file, reason: message(error) });
  }
}

/** Every Mach-O entry of a zip, inspected from memory. */
async function inspectZip(file: string, options: PreflightOptions, result: Collected): Promise<void> {
  const zip = await ZipArchive.open(file, { ...ZIP_LIMITS, ...options.zipLimits });
  try {
    const files = new Set(zip.entries.filter((e) => e.kind === 'file').map((e) => e.name));
    const component = async (name: string) => (files.has(name) ? await zip.read(name) : null);
    for (const entry of zip.entries) {
      const name = `${file}/${entry.name}`;
      if (entry.kind !== 'file' || entry.size < 8) continue;
      if (entry.encrypted) {
        result.skipped.push({ path: name, reason: 'encrypted: Apple cannot read it either' });
        continue;
      }
      let head: Buffer;
      try {
        head = await zip.head(entry.name, 8);
      } catch (error) {
        result.skipped.push({ path: name, reason: message(error) });
        continue;
      }
      if (sniffMachO(head) === null) {
        if (/\.(dmg|pkg|zip)$/i.test(entry.name))
          result.skipped.push({ path: name, reason: 'archives and disk images inside a zip are not read' });
        continue;
      }
      try {
        const where = bundleComponentPaths(entry.name);
        const external: ExternalComponents = where
          ? {
              infoPlist: (await component(where.infoPlist)) ?? undefined,
              codeResources: await component(where.codeResources),
            }
          : {};
        const bytes = await zip.read(entry.name);
        result.reports.push(await reportFor(new BufferSource(bytes, name), name, external, options));
        result.inspected.push(name);
      } catch (error) {
        result.skipped.push({ path: name, reason: message(error) });
      }
    }
  } finally {
    await zip.close();
  }
}

/**
 * Every Mach-O in the payloads of a flat package (pkgPayload.ts), inspected from memory with the Info.plist and
 * CodeResources of the bundle it belongs to in the same payload. A package that cannot be read is skipped, not refused:
 * Apple judges it.
 */
async function inspectPkg(file: string, options: PreflightOptions, result: Collected): Promise<void> {
  let payload: Awaited<ReturnType<typeof pkgPayloadFiles>>;
  try {
    payload = await pkgPayloadFiles(file, { ...PKG_PAYLOAD_LIMITS, ...options.pkgLimits });
  } catch (error) {
    result.skipped.push({ path: file, reason: message(error) });
    return;
  }
  result.skipped.push(...payload.skipped);
  const byName = new Map(payload.files.map((f) => [f.name, f.bytes]));
  for (const { name, bytes } of payload.files) {
    if (bytes.length < 8 || sniffMachO(bytes.subarray(0, 8)) === null) continue;
    try {
      const where = bundleComponentPaths(name);
      const external: ExternalComponents = where
        ? { infoPlist: byName.get(where.infoPlist), codeResources: byName.get(where.codeResources) ?? null }
        : {};
      result.reports.push(await reportFor(new BufferSource(bytes, name), name, external, options));
      result.inspected.push(name);
    } catch (error) {
      result.skipped.push({ path: name, reason: message(error) });
    }
  }
}

interface Collected {
  reports: InspectReport[];
  inspected: string[];
  skipped: { path: string; reason: string }[];
}

const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');
const XAR_MAGIC = Buffer.from('xar!', 'latin1');

/** Whether the file ends with a UDIF koly trailer: a disk image, whatever its name. */
async function hasKolyTrailer(file: string): Promise<boolean> {
  const source = await FileSource.open(file);
  try {
    return source.size >= KOLY_SIZE && source.read(source.size - KOLY_SIZE, 4).toString('latin1') === 'koly';
  } finally {
    await source.close();
  }
}
const EMPTY_ZIP_MAGIC = Buffer.from('PK\x05\x06', 'latin1');

/**
 * The pre-flight of everything at `target` (what `notarize` would submit). Throws InputError when `target` cannot be
 * read at all (missing, or a zip that is not one or is refused as a bomb); problems with single files inside, and a
 * target that is no kind of code, are in `skipped`.
 */
export async function preflightPath(target: string, options: PreflightOptions = {}): Promise<PreflightResult> {
  const result: Collected = { reports: [], inspected: [], skipped: [] };
  const kind = await statKindAsync(target);
  if (kind === 'directory') {
    if (isAppBundle(target)) await inspectBundle(target, options, result);
    else
      for (const item of await findArtifacts(target)) {
        if (item.kind === 'app') await inspectBundle(item.path, options, result);
        else await inspectOne(item.path, options, result);
      }
  } else {
    const head = await readHead(target, 8);
    // A disk image's data fork may begin like anything (a zip, here and there): its trailer says what it is.
    const container = head.subarray(0, 4).equals(XAR_MAGIC) ? 'pkg' : (await hasKolyTrailer(target)) ? 'dmg' : null;
    if (container === 'pkg') await inspectPkg(target, options, result);
    else if (container !== null || /\.(dmg|pkg)$/i.test(target))
      result.skipped.push({
        path: target,
        reason: `the contents of ${container === 'dmg' || /\.dmg$/i.test(target) ? 'a disk image' : 'an installer package'} are not read by the pre-flight: only Apple's verdict will tell`,
      });
    else if (sniffMachO(head) !== null) await inspectOne(target, options, result);
    else if (head.subarray(0, 4).equals(ZIP_MAGIC) || head.subarray(0, 4).equals(EMPTY_ZIP_MAGIC))
      await inspectZip(target, options, result);
    // Not code the pre-flight knows (a script, a document): named as unchecked, never as clean; Apple will judge it.
    else
      result.skipped.push({
        path: target,
        reason: 'not a Mach-O file, an .app bundle, a zip archive, a disk image or an installer package',
      });
  }
  return { inspected: result.inspected, findings: preflight(result.reports), skipped: result.skipped };
}
