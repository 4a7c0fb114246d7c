/**
 * The Requirements blob (slot 2) and a decompiler of requirement expressions to the text `codesign -d -r-` shows.
 *
 * Opcodes and match operators are Security's `requirement.h` (ExprOp, MatchOperation). Only decoding is done here:
 * evaluating a requirement needs the certificate trust store of a Mac and is out of scope. An expression we cannot
 * read (unknown opcode, truncated, too deep) yields `text: null`; the bytes are still reported.
 */
import type { RequirementInfo } from '../protocol';
import { oidFromBytes } from './der';
import { CSMAGIC_REQUIREMENT, CSMAGIC_REQUIREMENTS, REQUIREMENT_TYPES } from './format';
import { printableText } from './printable';

const EXPR_FORM = 1;
const MAX_DEPTH = 64;

/** Parses the Requirements SuperBlob-shaped blob; null when its header is malformed. */
export function parseRequirements(blob: Buffer): RequirementInfo[] | null {
  if (blob.length < 12 || blob.readUInt32BE(0) !== CSMAGIC_REQUIREMENTS) return null;
  const count = blob.readUInt32BE(8);
  if (count > (blob.length - 12) / 8) return null;
  const out: RequirementInfo[] = [];
  for (let i = 0; i < count; i++) {
    const type = blob.readUInt32BE(12 + i * 8);
    const offset = blob.readUInt32BE(16 + i * 8);
    if (offset + 12 > blob.length || blob.readUInt32BE(offset) !== CSMAGIC_REQUIREMENT) return null;
    const length = blob.readUInt32BE(offset + 4);
    if (length < 12 || offset + length > blob.length) return null;
    const req = blob.subarray(offset, offset + length);
    out.push({
      type: REQUIREMENT_TYPES[type] ?? String(type),
      bytes: req.toString('hex'),
      text: req.readUInt32BE(8) === EXPR_FORM ? decompile(req.subarray(12)) : null,
    });
  }
  return out;
}

class Truncated extends Error {}

class ExprReader {
  private at = 0;
  constructor(private readonly bytes: Buffer) {}
  get done(): boolean {
    return this.at >= this.bytes.length;
  }
  u32(): number {
    if (this.at + 4 > this.bytes.length) throw new Truncated();
    const v = this.bytes.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  i32(): number {
    return this.u32() | 0;
  }
  data(): Buffer {
    const length = this.u32();
    if (this.at + length > this.bytes.length) throw new Truncated();
    const v = this.bytes.subarray(this.at, this.at + length);
    this.at += (length + 3) & ~3; // operands are padded to 4 bytes (Security's baseAlignment)
    return v;
  }
  f64(): number {
    if (this.at + 8 > this.bytes.length) throw new Truncated();
    const v = this.bytes.readDoubleBE(this.at);
    this.at += 8;
    return v;
  }
}

export function decompile(expression: Buffer): string | null {
  try {
    const reader = new ExprReader(expression);
    const text = expr(reader, 0, 0);
    return reader.done ? text : null;
  } catch (error) {
    if (!(error instanceof Truncated)) throw error; // anything else is a bug, not an odd requirement
    return null; // Truncated or unknown opcode: show bytes only.
  }
}

// Precedence: `or` 1 < `and` 2 < everything else.
function expr(r: ExprReader, depth: number, outer: number): string {
  if (depth > MAX_DEPTH) throw new Truncated();
  const op = r.u32() & 0x00ffffff; // the high byte carries generic-skip/false flags
  const wrap = (level: number, s: string) => (level < outer ? `(${s})` : s);
  switch (op) {
    case 0:
      return 'never';
    case 1:
      return 'always';
    case 2:
      return `identifier ${quote(r.data())}`;
    case 3:
      return 'anchor apple';
    case 4:
      return `certificate ${certSlot(r.i32())} = H"${r.data().toString('hex')}"`;
    case 5:
      return `info[${field(r.data())}] = ${quote(r.data())}`;
    case 6:
      return wrap(2, `${expr(r, depth + 1, 2)} and ${expr(r, depth + 1, 2)}`);
    case 7:
      return wrap(1, `${expr(r, depth + 1, 1)} or ${expr(r, depth + 1, 1)}`);
    case 8:
      return `cdhash H"${r.data().toString('hex')}"`;
    case 9:
      return `! ${expr(r, depth + 1, 3)}`;
    case 10:
      return `info[${field(r.data())}]${match(r)}`;
    case 11: {
      const slot = certSlot(r.i32());
      return `certificate ${slot}[${field(r.data())}]${match(r)}`;
    }
    case 12:
      return `certificate ${certSlot(r.i32())} trusted`;
    case 13:
      return 'anchor trusted';
    case 14:
    case 17:
    case 22: {
      const slot = certSlot(r.i32());
      const kind = op === 14 ? 'field' : op === 17 ? 'policy' : 'timestamp';
      return `certificate ${slot}[${kind}.${oidFromBytes(r.data())}]${match(r)}`;
    }
    case 15:
      return 'anchor apple generic';
    case 16:
      return `entitlement[${field(r.data())}]${match(r)}`;
    case 18:
      return `anchor ${field(r.data())}`;
    case 19:
      return `(${field(r.data())})`;
    case 20:
      return `platform = ${r.u32()}`;
    case 21:
      return 'notarized';
    case 23:
      return 'legacy';
    default:
      throw new Truncated();
  }
}

function match(r: ExprReader): string {
  const op = r.u32();
  const operators: Record<number, string> = { 1: '=', 5: '<', 6: '>', 7: '<=', 8: '>=' };
  switch (op) {
    case 0:
      return ' /* exists */';
    case 14:
      return ' /* absent */';
    case 2:
      return ` ~ ${quote(r.data())}`;
    case 3:
      return ` = ${quote(r.data(), '', '*')}`;
    case 4:
      return ` = ${quote(r.data(), '*', '')}`;
    case 9:
    case 10:
    case 11:
    case 12:
    case 13: {
      // Dates are CFAbsoluteTime: seconds since 2001-01-01.
      const date = new Date(Date.UTC(2001, 0, 1) + r.f64() * 1000);
      const names: Record<number, string> = { 9: '=', 10: '<', 11: '>', 12: '<=', 13: '>=' };
      return ` ${names[op]} timestamp "${Number.isNaN(date.getTime()) ? 'invalid' : date.toISOString()}"`;
    }
    default:
      if (operators[op]) return ` ${operators[op]} ${quote(r.data())}`;
      throw new Truncated();
  }
}

function certSlot(slot: number): string {
  if (slot === 0) return 'leaf';
  if (slot === -1) return 'root';
  return String(slot);
}

/** A key or name operand (info key, certificate field, entitlement key), escaped where it is not printable. */
function field(data: Buffer): string {
  return printableText(data).text;
}

function quote(data: Buffer, prefix = '', suffix = ''): string {
  const text = data.toString('utf8');
  const printable = /^[\x20-\x7e]*$/.test(text);
  if (!printable) return `H"${data.toString('hex')}"`;
  return `"${prefix}${text.replace(/["\\]/g, '\\$&')}${suffix}"`;
}
