/**
 * The catalog of rules, readiness checks and lint rules alike: the one place a rule's id, title, explanation, fix,
 * default severity and sources live. CLI output, the language server and the pages under docs/rules/ (written by
 * `npm run docs`) all read it. Each area has its own table in this folder; a new rule goes into its area's table.
 * Sources are Apple's documentation, Apple engineers' forum answers, or the Go toolchain's source.
 *
 * This folder imports nothing from checks/ or lint/: both of those import from here.
 */
import { BUILD_RULES } from './build';
import { ENTITLEMENT_RULES } from './entitlements';
import { PLIST_RULES } from './plist';
import { READINESS_RULES } from './readiness';
import type { Rule } from './types';
import { ruleDocUrl as ruleDocAddress } from '../protocol';

export type { Rule, RuleSource, Severity } from './types';

export const RULES = {
  ...READINESS_RULES,
  ...ENTITLEMENT_RULES,
  ...PLIST_RULES,
  ...BUILD_RULES,
} satisfies Record<string, Rule>;

export type RuleId = keyof typeof RULES;

/**
 * Where a rule's page is published; diagnostics and CLI output link here. The address is part of the client contract
 * (the client links rule pages without loading the catalog), so it is written once, in protocol.ts.
 */
export function ruleDocUrl(id: RuleId): string {
  return ruleDocAddress(id);
}
