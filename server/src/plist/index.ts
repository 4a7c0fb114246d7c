/**
 * Property lists for the engine: bytes in, a value out, XML or binary, read strictly and with bounds.
 *
 * XML is read by the one positional reader (xml.ts), which never expands entities and refuses a document that declares
 * any, so "billion laughs" cannot start; here its first problem, or a scalar that does not parse, becomes a one-line
 * InputError that says where ("at line:column", both from 1). Binary plists are read by binary.ts.
 */
import { InputError } from '../errors';
import { LIMITS } from '../fileAccess';
import { isBinaryPlist, parseBinaryPlist } from './binary';
import { newDict, PlistValue, safeInt, setEntry } from './value';
import { lineIndex, parsePlistText, PlistNode } from './xml';

export { parseBinaryPlist } from './binary';
export { isPlistDict, plistEqual, plistToJson } from './value';
export type { PlistDict, PlistValue } from './value';

/** The same cap as any text file we read whole. */
const MAX_BYTES = LIMITS.text;

export interface ParsedPlist {
  value: PlistValue;
  format: 'xml' | 'binary';
  /** Characters (a byte-order mark, whitespace) before the XML declaration: XML forbids them, CFPropertyList skips them. */
  leading: number;
}

export function parsePlist(bytes: Uint8Array): ParsedPlist {
  if (bytes.length > MAX_BYTES) throw new InputError(`property list is ${bytes.length} bytes, more than ${MAX_BYTES}`);
  if (isBinaryPlist(bytes)) return { value: parseBinaryPlist(bytes), format: 'binary', leading: 0 };
  const text = Buffer.from(bytes).toString('utf8');
  // Apple's parser reads what macOS enforces, so do as it does: skip them (signed, notarized binaries carry such blobs).
  const leading = /^\uFEFF?[ \t\r\n]*(?=<\?xml[ \t\r\n])/.exec(text)?.[0].length ?? 0;
  return { value: parseXmlPlist(text.slice(leading)), format: 'xml', leading };
}

/** A scalar or structure the engine cannot take, at an offset into the text. */
class Invalid {
  constructor(
    readonly message: string,
    readonly at: number,
  ) {}
}

export function parseXmlPlist(text: string): PlistValue {
  if (text.length > MAX_BYTES) throw new InputError('property list is too large');
  const doc = parsePlistText(text);
  if (doc.entityDeclaration) throw new InputError('property list declares XML entities, which are not allowed');
  const where = (at: number) => {
    const { line, character } = lineIndex(text)(at);
    return `${line + 1}:${character + 1}`;
  };
  const invalid = (message: string, at: number) =>
    new InputError(`not a valid XML property list: ${message} at ${where(at)}`);
  if (doc.internalSubset) throw invalid('an internal DTD subset is not allowed', doc.internalSubset.start);
  const first = doc.problems[0];
  if (first) throw invalid(first.message, first.range.start);
  if (!doc.root) throw new InputError('not a valid XML property list: no value');
  try {
    return toValue(doc.root);
  } catch (error) {
    if (error instanceof Invalid) throw invalid(error.message, error.at);
    throw error;
  }
}

/** The value of a node of a document without problems (so every key has its value, and nesting is bounded). */
function toValue(node: PlistNode): PlistValue {
  switch (node.kind) {
    case 'dict': {
      const dict = newDict();
      for (const entry of node.entries) {
        if (!entry.value) throw new Invalid(`<key>${entry.key}</key> has no value`, entry.keyElement.start);
        setEntry(dict, entry.key, toValue(entry.value));
      }
      return dict;
    }
    case 'array':
      return node.items.map(toValue);
    case 'boolean':
      return node.value;
    case 'string':
      return node.text;
    default:
      return scalarValue(node.kind, node.text, node.range.start);
  }
}

function scalarValue(kind: 'integer' | 'real' | 'date' | 'data', text: string, at: number): PlistValue {
  const bad = () => new Invalid(`invalid <${kind}> ${JSON.stringify(text.slice(0, 40))}`, at);
  const t = text.trim();
  switch (kind) {
    case 'integer': {
      if (!/^[+-]?(0x[0-9a-fA-F]+|\d+)$/.test(t)) throw bad();
      const big = BigInt(t.replace(/^[+-]/, ''));
      return safeInt(t.startsWith('-') ? -big : big);
    }
    case 'real': {
      const n = Number(t);
      if (Number.isNaN(n) && !/^nan$/i.test(t)) throw bad();
      return n;
    }
    case 'date': {
      const d = new Date(t);
      if (Number.isNaN(d.getTime())) throw bad();
      return d;
    }
    case 'data': {
      const clean = text.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw bad();
      return new Uint8Array(Buffer.from(clean, 'base64'));
    }
  }
}
