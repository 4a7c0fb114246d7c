/**
 * .app bundles: Info.plist (XML or binary), the main executable it names, the `_CodeSignature/CodeResources` seal
 * and a stapled notarization ticket (`Contents/CodeResources`, as stapler writes it).
 *
 * The bundle is only read. `CFBundleExecutable` comes from the user's (or an attacker's) plist, so it must name a file
 * directly inside `Contents/MacOS`; anything with a path separator or `..` is refused.
 */
import * as path from 'node:path';
import { InputError } from '../errors';
import { FileAccessError, isRegularFile, readFileBounded } from '../fileAccess';
import type { BundleReport, ResourceSeal } from '../protocol';
import { verifyResourceSeal } from './codeResources';
import { isPlistDict, parsePlist, PlistValue } from '../plist';

export interface AppBundle {
  root: string;
  report: BundleReport;
  executablePath: string;
  infoPlist: Buffer;
  codeResources: Buffer | null;
  /** Whether `Contents/embedded.provisionprofile` exists (needed for restricted entitlements). */
  hasProvisioningProfile: boolean;
}

export function isAppBundle(dir: string): boolean {
  return isRegularFile(path.join(dir, 'Contents', 'Info.plist'));
}

/** A plist of the bundle, within LIMITS.text; the error names what it is. */
function readBounded(file: string, what: string): Buffer {
  try {
    return readFileBounded(file, 'text');
  } catch (error) {
    if (error instanceof FileAccessError) throw new InputError(`${file}: ${what}: ${error.reason}`);
    throw error;
  }
}

function stringKey(plist: PlistValue, key: string): string | null {
  const value = isPlistDict(plist) ? plist[key] : undefined;
  return typeof value === 'string' ? value : null;
}

/** Reads Info.plist and finds the main executable: the part of reading a bundle that signing needs too. */
function readInfo(root: string) {
  const contents = path.join(root, 'Contents');
  const infoPath = path.join(contents, 'Info.plist');
  const infoPlist = readBounded(infoPath, 'Info.plist');
  let parsed: ReturnType<typeof parsePlist>;
  try {
    parsed = parsePlist(infoPlist);
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`${infoPath}: ${error.message}`);
    throw error;
  }
  const executable = stringKey(parsed.value, 'CFBundleExecutable');
  if (!executable)
    throw new InputError(`${infoPath}: CFBundleExecutable is missing, so the bundle has no main executable`);
  if (
    executable.includes('/') ||
    executable.includes('\\') ||
    executable === '..' ||
    executable === '.' ||
    executable.includes('\0')
  ) {
    throw new InputError(`${infoPath}: CFBundleExecutable ${JSON.stringify(executable)} is not a plain file name`);
  }
  const executablePath = path.join(contents, 'MacOS', executable);
  if (!isRegularFile(executablePath))
    throw new InputError(`${root}: the main executable Contents/MacOS/${executable} is missing`);
  return { contents, infoPlist, parsed, executable, executablePath };
}

/** The path of an .app's main executable (what codesign signs with the bundle, last). */
export function appExecutable(root: string): string {
  return readInfo(root).executablePath;
}

export function readAppBundle(root: string): AppBundle {
  const { contents, infoPlist, parsed, executable, executablePath } = readInfo(root);

  const codeResourcesPath = path.join(contents, '_CodeSignature', 'CodeResources');
  const codeResources = isRegularFile(codeResourcesPath) ? readBounded(codeResourcesPath, 'CodeResources') : null;
  return {
    root,
    executablePath,
    infoPlist,
    codeResources,
    hasProvisioningProfile: isRegularFile(path.join(contents, 'embedded.provisionprofile')),
    report: {
      identifier: stringKey(parsed.value, 'CFBundleIdentifier'),
      executable: path.join('Contents', 'MacOS', executable),
      infoPlistFormat: parsed.format,
      codeResources: codeResources !== null,
      resourceSeal: codeResources ? checkSeal(root, codeResources, `MacOS/${executable}`) : null,
      stapledTicket: isRegularFile(stapledTicketPath(root)),
    },
  };
}

/** Where stapler writes an .app's ticket: the raw ticket bytes in `Contents/CodeResources` (not `_CodeSignature/`). */
export function stapledTicketPath(root: string): string {
  return path.join(root, 'Contents', 'CodeResources');
}

/** The ticket stapled to an .app, or null when there is none. */
export function readAppTicket(root: string): Buffer | null {
  const file = stapledTicketPath(root);
  return isRegularFile(file) ? readBounded(file, 'stapled ticket') : null;
}

function checkSeal(root: string, codeResources: Buffer, mainExecutable: string): ResourceSeal {
  try {
    return verifyResourceSeal(root, codeResources, mainExecutable);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return { checked: 0, problems: [], error: error.message };
  }
}
