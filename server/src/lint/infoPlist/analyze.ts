/**
 * Lints an Info.plist: well-formedness, and entitlements put there by mistake.
 *
 * A popular myth (it is in the article this project started from) says Info.plist must "enable"
 * com.apple.security.app-sandbox. Entitlements are only ever read from the code signature, so such keys in Info.plist
 * do nothing; this linter says so where it meets them. Binary Info.plists are valid in bundles and are not linted.
 */
import { diagnostic, LintDiagnostic } from '../diagnostic';
import { entitlement } from '../entitlements/catalog';
import { RESTRICTED_PREFIX } from '../../rules/entitlementFacts';
import { BINARY_MAGIC } from '../../plist/binary';
import { parsePlistText } from '../../plist/xml';

function isEntitlementKey(key: string): boolean {
  return key.startsWith('com.apple.security.') || key.startsWith(RESTRICTED_PREFIX) || entitlement(key) !== undefined;
}

export function lintInfoPlist(text: string): LintDiagnostic[] {
  if (text.startsWith(BINARY_MAGIC)) return [];
  const parsed = parsePlistText(text);
  const out = parsed.problems.map((p) => diagnostic('plist/syntax', p.message, p.range));
  if (parsed.entityDeclaration) {
    out.push(
      diagnostic('plist/syntax', 'the file declares XML entities, which are never expanded', parsed.entityDeclaration),
    );
  }
  if (parsed.root?.kind !== 'dict') return out;
  for (const entry of parsed.root.entries) {
    if (!isEntitlementKey(entry.key)) continue;
    out.push(
      diagnostic(
        'infoplist/entitlement-key',
        `${entry.key} is an entitlement: in Info.plist it has no effect. Entitlements are signed into the binary with codesign --entitlements FILE`,
        entry.keyRange,
      ),
    );
  }
  return out;
}
