/**
 * Rules for property-list files as files: well-formedness, the XML format, and what belongs in Info.plist. The
 * entitlements and Info.plist linters report them.
 */
import type { Rule } from './types';
import { DISTRIBUTION_SIGNED, NOTARIZING } from './sources';

export const PLIST_RULES = {
  'plist/syntax': {
    id: 'plist/syntax',
    title: 'The property list is well-formed',
    severity: 'error',
    why: 'codesign cannot read an entitlements file or Info.plist that is not well-formed XML in the property-list vocabulary (dict, key, string, true, ...), and fails the signing step.',
    fix: 'Correct the XML at the marked position; `plutil -lint FILE` on a Mac checks the same thing.',
    sources: [DISTRIBUTION_SIGNED],
  },
  'plist/binary': {
    id: 'plist/binary',
    title: 'Entitlements are an XML property list',
    severity: 'error',
    why: 'Apple requires entitlements as a property list in the standard XML format; a binary plist cannot be reviewed or diffed and is not what codesign expects.',
    fix: 'Convert it: `plutil -convert xml1 FILE`.',
    sources: [DISTRIBUTION_SIGNED, NOTARIZING],
  },
  'infoplist/entitlement-key': {
    id: 'infoplist/entitlement-key',
    title: 'Entitlements belong in the code signature, not in Info.plist',
    severity: 'warning',
    why: 'macOS reads entitlements only from the code signature, where `codesign --entitlements FILE` puts them. An entitlement key such as com.apple.security.app-sandbox in Info.plist has no effect (a common myth says Info.plist must "enable" the App Sandbox).',
    fix: 'Remove the key from Info.plist and put it in the entitlements file you pass to `codesign --entitlements`.',
    sources: [
      {
        label: 'Apple: Entitlements (Bundle Resources)',
        url: 'https://developer.apple.com/documentation/bundleresources/entitlements',
      },
      DISTRIBUTION_SIGNED,
    ],
  },
} satisfies Record<string, Rule>;
