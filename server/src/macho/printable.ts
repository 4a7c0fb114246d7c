/**
 * Names read from a signature (identifier, team ID, requirement text) made safe to show anywhere: a terminal, JSON,
 * an editor's tree view. Control, format and bidirectional characters are what let a name hide or disguise itself
 * (an escape sequence recolouring a terminal, a right-to-left override), so they and bytes that are not UTF-8 are
 * shown escaped, \xNN or \u{NNNN}, and a backslash as \\ so that an escape is never ambiguous.
 */

const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}\\]/gu;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function escapeChar(c: string): string {
  if (c === '\\') return '\\\\';
  const code = c.codePointAt(0)!;
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** The bytes as text, every non-printable character and every byte that is not UTF-8 escaped. */
export function printableText(bytes: Uint8Array): { text: string; printable: boolean } {
  let decoded: string;
  try {
    decoded = utf8.decode(bytes);
  } catch {
    // Not UTF-8: printable ASCII stays, every other byte is shown by value.
    const text = Array.from(bytes, (b) =>
      b >= 0x20 && b < 0x7f && b !== 0x5c
        ? String.fromCharCode(b)
        : b === 0x5c
          ? '\\\\'
          : `\\x${b.toString(16).padStart(2, '0')}`,
    ).join('');
    return { text, printable: false };
  }
  return printableString(decoded);
}

/** A decoded string with its non-printable characters escaped. */
export function printableString(decoded: string): { text: string; printable: boolean } {
  let printable = true;
  const text = decoded.replace(UNPRINTABLE, (c) => {
    if (c !== '\\') printable = false;
    return escapeChar(c);
  });
  return { text, printable };
}
