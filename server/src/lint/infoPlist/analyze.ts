/**
 * Lints an Info.plist: well-formedness, and entitlements put there by mistake.
 *
 * A popular myth (it is in the article this project started from) says Info.plist must "enable"
 * com.apple.security.app-sandbox. Entitlements are only ever read from the code signature, so such keys in Info.plist
 * do nothing; this linter says so where it meets them. Binary Info.plists are valid in bundles and are not linted.
 */
import { Rule, RULES } from '../../checks/catalog';
import { entitlement } from '../entitlements/catalog';
import type { LintDiagnostic } from '../entitlements/analyze';
import { parsePlistText } from '../plist/parse';

const ENTITLEMENT_KEY = /^(com\.apple\.security\.|com\.apple\.developer\.|keychain-access-groups$)/;

export function lintInfoPlist(text: string): LintDiagnostic[] {
  if (text.startsWith('bplist00')) return [];
  const parsed = parsePlistText(text);
  const severity = (id: 'plist/syntax' | 'entitlements/wrong-file') => (RULES[id] as Rule).severity ?? 'warning';
  const out: LintDiagnostic[] = parsed.problems.map((p) => ({ code: 'plist/syntax', severity: severity('plist/syntax'), message: p.message, range: p.range }));
  if (parsed.entityDeclaration) {
    out.push({ code: 'plist/syntax', severity: severity('plist/syntax'), message: 'the file declares XML entities, which are never expanded', range: parsed.entityDeclaration });
  }
  if (parsed.root?.kind !== 'dict') return out;
  for (const entry of parsed.root.entries) {
    if (!ENTITLEMENT_KEY.test(entry.key) && !entitlement(entry.key)) continue;
    out.push({
      code: 'entitlements/wrong-file',
      severity: severity('entitlements/wrong-file'),
      message: `${entry.key} is an entitlement: in Info.plist it has no effect. Entitlements are signed into the binary with codesign --entitlements FILE`,
      range: entry.keyRange,
    });
  }
  return out;
}
