/**
 * Signs a macOS bundle (.app, and the .app, .appex, .xpc and .framework bundles nested in it) the way codesign does:
 * nested code first, inside out; then the resource seal `_CodeSignature/CodeResources`; the main executable last,
 * with Info.plist bound in special slot 1 and CodeResources in special slot 3.
 *
 * Contract:
 * - The whole bundle is looked at before anything is written (phase 1, `planBundle`): a FIFO, a device or a socket,
 *   a symbolic link whose target leaves the bundle, a missing main executable, a nested bundle that cannot be signed,
 *   all stop signing with one InputError and nothing changed. Symbolic links are never followed: they are sealed as
 *   their target text.
 * - Code: every Mach-O executable, dylib or loadable bundle other than the main executable is signed (notarization
 *   refuses unsigned code anywhere in a bundle; object files and dSYM companions are data). Where the rules say code
 *   lives (MacOS/, Frameworks/, PlugIns/, XPCServices/, Helpers/, Library/LoginItems ...), it is sealed by its cdhash
 *   and designated requirement; elsewhere (Resources/) by the digests of its signed bytes. A directory with a dot in its name in such a place that looks like a bundle is signed as a bundle of its
 *   own (recursively), then sealed by its main executable's cdhash. Deepest code is signed first.
 * - The request's identifier and entitlements are for the bundle being signed; nested code keeps its own identifier
 *   (CFBundleIdentifier for a bundle, the file name for a loose executable) and gets no entitlements, as the
 *   pipeline's codesign driver does. The main executable's identifier defaults to CFBundleIdentifier.
 * - CodeResources is written to a temporary file and renamed into place only once the main executable is signed.
 * - The slice signer is injected (`deps.signFile`), so this module is tested on its own and reused by any signer.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError } from '../errors';
import {
  FileAccessError,
  hashFile,
  isRegularFile,
  linkKind,
  listDirectory,
  readFileBounded,
  readHead,
  readLink,
} from '../fileAccess';
import { parseFatArchs, sniffMachO } from '../macho/container';
import { MH_EXECUTE } from '../macho/format';
import { readHeader } from '../macho/loadCommands';
import { ByteSource, FileSource } from '../macho/source';
import { isPlistDict, parsePlist, PlistValue } from '../plist';
import { codeResourcesPlist, isExcluded, isNestedLocation, isSealed, ResourceItem } from './codeResources';
import type { SignRequest } from './types';

/** What signing one file gives back: what a parent bundle's seal records of it. */
export interface SignedCode {
  /** The code's cdhash (the first 20 bytes of the primary CodeDirectory's digest). */
  cdhash: Buffer;
  /** Its designated requirement as text (`identifier "x" and anchor apple generic and ...`); derived when absent. */
  requirement?: string;
}

/** The special-slot contents the main executable of a bundle is signed with. */
export interface BundleExtras {
  infoPlist?: Buffer;
  codeResources?: Buffer;
}

export interface BundleDeps {
  signFile: (file: string, request: SignRequest, extras?: BundleExtras) => Promise<SignedCode>;
}

/** Keeps a hostile bundle from making us walk or recurse forever. */
const MAX_ITEMS = 100_000;
const MAX_DEPTH = 8;

/** One item under a bundle's resource root, as phase 1 found it. */
type PlanItem =
  | { kind: 'bundle'; relative: string; plan: BundlePlan }
  | { kind: 'macho'; relative: string; nested: boolean }
  | { kind: 'file'; relative: string }
  | { kind: 'symlink'; relative: string; target: string };

export interface BundlePlan {
  /** The bundle directory (Foo.app, Foo.framework). */
  root: string;
  /** Where its resources and `_CodeSignature` live: `Contents/`, or `Versions/<current>/` for a framework. */
  resourceRoot: string;
  infoPlist: Buffer;
  /** CFBundleIdentifier, when Info.plist has one. */
  identifier: string | null;
  /** The main executable, absolute and relative to resourceRoot. */
  executable: string;
  executableRelative: string;
  items: PlanItem[];
}

function describe(kind: string): string {
  return kind === 'other' ? 'a FIFO, socket or device' : kind;
}

/** Where a bundle's parts are: an .app-style bundle (Contents/) or a versioned framework (Versions/Current). */
function bundleLayout(root: string): { resourceRoot: string; infoPath: string; executableDir: string } | null {
  if (isRegularFile(path.join(root, 'Contents', 'Info.plist')) && linkKind(path.join(root, 'Contents')) === 'directory')
    return {
      resourceRoot: path.join(root, 'Contents'),
      infoPath: path.join(root, 'Contents', 'Info.plist'),
      executableDir: path.join(root, 'Contents', 'MacOS'),
    };
  const current = path.join(root, 'Versions', 'Current');
  if (linkKind(current) === 'symlink') {
    const version = readLink(current);
    if (version.includes('/') || version === '..' || version === '.' || version === '')
      throw new InputError(`${current}: points to ${JSON.stringify(version)}, not to a version inside the framework`);
    const resourceRoot = path.join(root, 'Versions', version);
    if (linkKind(resourceRoot) !== 'directory') throw new InputError(`${current}: points to no version directory`);
    return {
      resourceRoot,
      infoPath: path.join(resourceRoot, 'Resources', 'Info.plist'),
      executableDir: resourceRoot,
    };
  }
  return null;
}

function readInfoPlist(infoPath: string): { bytes: Buffer; executable: string; identifier: string | null } {
  let bytes: Buffer;
  let value: PlistValue;
  try {
    bytes = readFileBounded(infoPath, 'text');
    value = parsePlist(bytes).value;
  } catch (error) {
    if (error instanceof FileAccessError) throw new InputError(`${infoPath}: Info.plist: ${error.reason}`);
    if (error instanceof InputError) throw new InputError(`${infoPath}: ${error.message}`);
    throw error;
  }
  const dict = isPlistDict(value) ? value : {};
  const executable = dict.CFBundleExecutable;
  if (typeof executable !== 'string' || executable === '')
    throw new InputError(`${infoPath}: CFBundleExecutable is missing, so the bundle has no main executable to sign`);
  if (/[/\\\0]/.test(executable) || executable === '.' || executable === '..')
    throw new InputError(`${infoPath}: CFBundleExecutable ${JSON.stringify(executable)} is not a plain file name`);
  const identifier = typeof dict.CFBundleIdentifier === 'string' ? dict.CFBundleIdentifier : null;
  return { bytes, executable, identifier };
}

/**
 * A versioned framework's own directory holds only `Versions/` and symbolic links into `Versions/Current/`: nothing
 * there is sealed, so anything else would be unsealed content Apple's verifier refuses.
 */
function checkFrameworkRoot(root: string): void {
  for (const entry of listDirectory(root)) {
    if (entry.name === 'Versions' && entry.kind === 'directory') continue;
    const full = path.join(root, entry.name);
    const target = entry.kind === 'symlink' ? readLink(full) : null;
    if (target === null || !(target === 'Versions/Current' || target.startsWith('Versions/Current/')))
      throw new InputError(
        `${full}: unsealed content in the root directory of a framework (only links into Versions/Current may be there)`,
      );
  }
}

/** Mach-O file types that carry a code signature of their own: executables, dynamic libraries, loadable bundles. */
const SIGNABLE_FILE_TYPES = new Set([MH_EXECUTE, 0x6 /* MH_DYLIB */, 0x8 /* MH_BUNDLE */]);

/**
 * Whether a file is code to sign: a Mach-O (thin, or universal judged by its first slice) executable, dylib or
 * bundle. Object files, dSYM companions and files whose headers do not read are data, sealed by their digests.
 */
async function isSignableCode(file: string): Promise<boolean> {
  const kind = sniffMachO(await readHead(file, 8));
  if (kind === null) return false;
  const source = await FileSource.open(file);
  try {
    const slice = kind === 'universal' ? firstSlice(source) : source;
    return SIGNABLE_FILE_TYPES.has(readHeader(slice).fileType);
  } catch (error) {
    if (error instanceof InputError) return false;
    throw error;
  } finally {
    await source.close();
  }
}

function firstSlice(source: ByteSource): ByteSource {
  const [first] = parseFatArchs(source);
  return source.slice(first.offset, first.size, `${source.name} (slice 0)`);
}

/**
 * Phase 1: everything about the bundle that signing needs, checked, with nothing written. `outermost` is the
 * outermost bundle's directory: no symbolic link may lead out of it.
 */
export async function planBundle(root: string, outermost = root, depth = 0): Promise<BundlePlan> {
  if (depth > MAX_DEPTH) throw new InputError(`${root}: bundles nested more than ${MAX_DEPTH} deep`);
  const layout = bundleLayout(root);
  if (!layout)
    throw new InputError(
      `${root}: not a bundle the builtin signer knows (no Contents/Info.plist, no Versions/Current)`,
    );
  if (layout.resourceRoot !== path.join(root, 'Contents')) checkFrameworkRoot(root);
  const info = readInfoPlist(layout.infoPath);
  // Signing writes to the main executable and to _CodeSignature/: neither may be reached through a symbolic link.
  if (linkKind(layout.executableDir) !== 'directory')
    throw new InputError(`${layout.executableDir}: not a directory (a symbolic link is never followed)`);
  const sealDir = path.join(layout.resourceRoot, '_CodeSignature');
  if (!['directory', 'missing'].includes(linkKind(sealDir)))
    throw new InputError(`${sealDir}: not a directory (a symbolic link is never followed)`);
  const executable = path.join(layout.executableDir, info.executable);
  if (linkKind(executable) !== 'file')
    throw new InputError(`${root}: the main executable ${path.relative(root, executable)} is missing`);
  const executableRelative = path.relative(layout.resourceRoot, executable).split(path.sep).join('/');

  const items: PlanItem[] = [];
  let count = 0;
  const walk = async (relative: string): Promise<void> => {
    for (const entry of listDirectory(path.join(layout.resourceRoot, relative))) {
      const item = relative ? `${relative}/${entry.name}` : entry.name;
      const full = path.join(layout.resourceRoot, item);
      if (isExcluded(item)) continue;
      if (++count > MAX_ITEMS) throw new InputError(`${root}: more than ${MAX_ITEMS} files`);
      switch (entry.kind) {
        case 'directory':
          if (isNestedLocation(item) && entry.name.includes('.') && bundleLayout(full))
            items.push({ kind: 'bundle', relative: item, plan: await planBundle(full, outermost, depth + 1) });
          else await walk(item);
          break;
        case 'symlink': {
          const target = readLink(full);
          const resolved = path.resolve(path.dirname(full), target);
          const inside = path.relative(outermost, resolved);
          if (path.isAbsolute(target) || inside === '..' || inside.startsWith(`..${path.sep}`))
            throw new InputError(`${full}: a symbolic link to ${JSON.stringify(target)}, outside the bundle`);
          items.push({ kind: 'symlink', relative: item, target });
          break;
        }
        case 'file':
          if (item === executableRelative) break;
          if (await isSignableCode(full)) items.push({ kind: 'macho', relative: item, nested: isNestedLocation(item) });
          else if (isSealed(item)) items.push({ kind: 'file', relative: item });
          break;
        default:
          throw new InputError(`${full}: ${describe(entry.kind)} in the bundle cannot be sealed`);
      }
    }
  };
  await walk('');
  return {
    root,
    resourceRoot: layout.resourceRoot,
    infoPlist: info.bytes,
    identifier: info.identifier,
    executable,
    executableRelative,
    items,
  };
}

/** The designated requirement codesign derives when the signer gives none: a cdhash for ad hoc code. */
function requirementOf(signed: SignedCode, request: SignRequest, identifier: string): string {
  if (signed.requirement) return signed.requirement;
  if (!request.identity) return `cdhash H"${signed.cdhash.toString('hex')}"`;
  const team = request.identity.teamId;
  return (
    `identifier "${identifier}" and anchor apple generic and certificate 1[field.1.2.840.113635.100.6.2.6] /* exists */` +
    ` and certificate leaf[field.1.2.840.113635.100.6.1.13] /* exists */` +
    (team ? ` and certificate leaf[subject.OU] = "${team}"` : '')
  );
}

const depthOf = (relative: string) => relative.split('/').length;

/** Phase 2 for one bundle: nested code (deepest first), the seal, then the main executable. */
async function signPlanned(plan: BundlePlan, request: SignRequest, deps: BundleDeps): Promise<SignedCode> {
  // Nested code keeps its own identifier and gets none of the outer bundle's entitlements.
  const nestedRequest: SignRequest = { ...request, identifier: undefined, entitlements: undefined };
  const sealed = new Map<string, ResourceItem>();
  const code = plan.items
    .filter((i) => i.kind === 'bundle' || i.kind === 'macho')
    .sort((a, b) => depthOf(b.relative) - depthOf(a.relative));
  for (const item of code) {
    if (item.kind === 'bundle') {
      const signed = await signPlanned(item.plan, nestedRequest, deps);
      const identifier = item.plan.identifier ?? path.basename(item.plan.executable);
      const requirement = requirementOf(signed, nestedRequest, identifier);
      sealed.set(item.relative, { path: item.relative, kind: 'nested', cdhash: signed.cdhash, requirement });
    } else if (item.kind === 'macho') {
      const full = path.join(plan.resourceRoot, item.relative);
      const signed = await deps.signFile(full, nestedRequest);
      if (item.nested) {
        const requirement = requirementOf(signed, nestedRequest, path.basename(full));
        sealed.set(item.relative, { path: item.relative, kind: 'nested', cdhash: signed.cdhash, requirement });
      }
    }
  }

  const items: ResourceItem[] = plan.items.map((item) => {
    const full = path.join(plan.resourceRoot, item.relative);
    if (item.kind === 'symlink') return { path: item.relative, kind: 'symlink', target: item.target };
    const nested = sealed.get(item.relative);
    if (nested) return nested;
    // A file, or a Mach-O outside the places code lives: sealed by the digests of its (signed) bytes.
    return { path: item.relative, kind: 'file', sha1: hashFile(full, 'sha1'), sha256: hashFile(full, 'sha256') };
  });
  const codeResources = codeResourcesPlist(items, plan.executableRelative);

  const sealDir = path.join(plan.resourceRoot, '_CodeSignature');
  fs.mkdirSync(sealDir, { recursive: true });
  const sealPath = path.join(sealDir, 'CodeResources');
  const temporary = path.join(sealDir, `.CodeResources.${randomBytes(6).toString('hex')}`);
  fs.writeFileSync(temporary, codeResources, { flag: 'wx', mode: 0o644 });
  try {
    const signed = await deps.signFile(
      plan.executable,
      { ...request, identifier: request.identifier ?? plan.identifier ?? undefined },
      { infoPlist: plan.infoPlist, codeResources },
    );
    fs.renameSync(temporary, sealPath);
    return signed;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

/**
 * Signs the bundle at `appPath` and everything nested in it; returns what the main executable's signing returned.
 * Throws InputError (one line) for a bundle that cannot be signed; when it does so before signing starts (every
 * problem phase 1 finds), nothing has been written.
 */
export async function signBundle(appPath: string, request: SignRequest, deps: BundleDeps): Promise<SignedCode> {
  const root = path.resolve(appPath);
  const plan = await planBundle(root);
  return signPlanned(plan, request, deps);
}
