/**
 * Independent readers for test expectations: LLVM's llvm-objdump for Mach-O load commands, OpenSSL's asn1parse for
 * DER and `openssl cms -verify` for CMS signatures, each parsed from its text. Our parsers' output is compared with what these tools say, never with itself.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CHILD_LIMIT } from './bounds';
import { findTool, run } from './tools';

export interface ObjdumpFacts {
  codeSignature: { dataOffset: number; dataSize: number } | null;
  minos: string | null;
  sdk: string | null;
  uuid: string | null;
  dylibs: string[];
  sections: { sectname: string; segname: string; offset: number; size: number }[];
}

const objdump = () => findTool(['llvm-objdump', 'llvm-objdump-14', 'llvm-objdump-15'], 'llvm-objdump');

/** Load commands of `file` (of slice `arch` for a universal file) as llvm-objdump prints them. */
export function objdumpFacts(file: string, arch?: string): ObjdumpFacts {
  const args = ['--macho', '--private-headers', ...(arch ? [`--arch=${arch}`] : []), file];
  const commands = run(objdump(), args)
    .split(/\nLoad command \d+\n/)
    .slice(1);
  const facts: ObjdumpFacts = { codeSignature: null, minos: null, sdk: null, uuid: null, dylibs: [], sections: [] };
  for (const text of commands) {
    const get = (key: string) => text.match(new RegExp(`^\\s*${key} (\\S+)`, 'm'))?.[1] ?? null;
    const cmd = get('cmd');
    if (cmd === 'LC_CODE_SIGNATURE')
      facts.codeSignature = { dataOffset: Number(get('dataoff')), dataSize: Number(get('datasize')) };
    if (cmd === 'LC_BUILD_VERSION') [facts.minos, facts.sdk] = [get('minos'), get('sdk')];
    if (cmd === 'LC_UUID') facts.uuid = get('uuid');
    if (cmd === 'LC_LOAD_DYLIB') facts.dylibs.push(get('name')!);
    if (cmd === 'LC_SEGMENT_64') {
      for (const section of text.split('Section\n').slice(1)) {
        const s = (key: string) => section.match(new RegExp(`^\\s*${key} (\\S+)`, 'm'))?.[1] ?? '';
        facts.sections.push({
          sectname: s('sectname'),
          segname: s('segname'),
          offset: Number(s('offset')),
          size: Number(s('size')),
        });
      }
    }
  }
  return facts;
}

/** Slice offsets of a universal file, from `llvm-objdump --universal-headers`. */
export function universalOffsets(file: string): Record<string, number> {
  const text = run(objdump(), ['--macho', '--universal-headers', file]);
  const out: Record<string, number> = {};
  for (const block of text.split(/architecture /).slice(1)) {
    const name = block.split('\n')[0].trim();
    const offset = block.match(/^\s*offset (\d+)/m)?.[1];
    if (offset) out[name] = Number(offset);
  }
  return out;
}

/** One element as `openssl asn1parse` prints it: where it starts, how deep, its header and content lengths, its type. */
export interface Asn1Element {
  offset: number;
  depth: number;
  header: number;
  length: number;
  type: string;
}

/** `openssl asn1parse` of a DER file, one element per line. */
export function opensslAsn1(file: string): Asn1Element[] {
  return execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-in', file], { ...CHILD_LIMIT, encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)\s+(?:cons|prim):\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      offset: Number(m[1]),
      depth: Number(m[2]),
      header: Number(m[3]),
      length: Number(m[4]),
      type: m[5].trim(),
    }));
}

/**
 * `openssl cms -verify` of a DER CMS over detached `content`, anchored at `caFile` (any purpose: a code-signing
 * chain): whether OpenSSL accepts it, and what it said. The signature's bytes go through temporary files.
 */
export function opensslCmsVerify(
  cms: Buffer,
  content: Buffer,
  caFile: string,
  options: { ignoreCritical?: boolean } = {},
): { ok: boolean; out: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gms-cms-verify-'));
  try {
    const files = { cms: path.join(dir, 'sig.cms'), content: path.join(dir, 'content.bin') };
    fs.writeFileSync(files.cms, cms);
    fs.writeFileSync(files.content, content);
    const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', files.cms, '-content', files.content];
    args.push('-CAfile', caFile, '-purpose', 'any', ...(options.ignoreCritical ? ['-ignore_critical'] : []));
    const r = spawnSync('openssl', [...args, '-out', path.join(dir, 'out.bin')], { ...CHILD_LIMIT, encoding: 'utf8' });
    return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
