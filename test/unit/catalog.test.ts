/** The rule catalog is the one source for rule pages, ids and links: check that everything agrees with it. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { Rule, RULES } from '../../server/src/rules';
import { BUILD_RULES } from '../../server/src/rules/build';
import { ENTITLEMENT_RULES } from '../../server/src/rules/entitlements';
import { PLIST_RULES } from '../../server/src/rules/plist';
import { READINESS_RULES } from '../../server/src/rules/readiness';
import { runReadinessChecks } from '../../server/src/checks/readiness';
import { runDiskImageChecks, runPackageChecks } from '../../server/src/checks/containers';
import { checkNotarizationTicket } from '../../server/src/checks/notarization';
import { ENTITLEMENTS } from '../../server/src/lint/entitlements/catalog';
import { rulePage, rulePagePath } from '../../scripts/docs';
import { REPO } from '../support/tools';

const KOLY = { version: 4, dataFork: { offset: 0, length: 0 }, plist: { offset: 0, length: 0 } };

describe('rule catalog', () => {
  it('every readiness check reports a catalogued rule id; every other rule is a lint rule with a severity', () => {
    const checks = new Set(
      [
        ...runReadinessChecks({ kind: 'macho', slices: [] }, { architectures: [] }),
        ...runDiskImageChecks({ kind: 'dmg', koly: KOLY, signature: null, ticketRecord: null, stapledTicket: false }),
        ...runPackageChecks({
          kind: 'pkg',
          checksum: { style: 'sha1', value: '' },
          files: [],
          signatures: [],
          ticketRecord: null,
          stapledTicket: false,
        }),
        checkNotarizationTicket({ ticket: 'unknown', cdhashes: [], checkedAt: '', records: [] }),
      ].map((c) => c.id),
    );
    for (const id of checks) assert.ok(id in RULES, id);
    for (const rule of Object.values(RULES) as Rule[]) {
      if (!checks.has(rule.id)) assert.ok(rule.severity, `${rule.id} is neither a readiness check nor a lint rule`);
    }
  });

  it('each rule is in exactly one area table, under its own id', () => {
    const tables = [READINESS_RULES, ENTITLEMENT_RULES, PLIST_RULES, BUILD_RULES].map(
      (t) => Object.entries(t) as [string, Rule][],
    );
    const ids = tables.flat().map(([key]) => key);
    assert.equal(new Set(ids).size, ids.length, 'an id appears in two tables');
    assert.equal(Object.keys(RULES).length, ids.length);
    for (const [key, rule] of tables.flat()) assert.equal(rule.id, key);
  });

  it('every rule names at least one https source', () => {
    for (const rule of Object.values(RULES) as Rule[]) {
      assert.ok(rule.sources.length > 0, rule.id);
      for (const s of rule.sources) assert.match(s.url, /^https:\/\//, rule.id);
    }
  });

  it('docs/rules pages are generated from the catalog and up to date (run `npm run docs`)', () => {
    for (const rule of Object.values(RULES) as Rule[]) {
      const file = rulePagePath(REPO, rule.id);
      assert.ok(fs.existsSync(file), `${file} is missing`);
      assert.equal(fs.readFileSync(file, 'utf8'), rulePage(rule), `${file} is stale`);
    }
  });
});

describe('entitlement catalog', () => {
  it('has unique keys, each with a type, a category and an Apple documentation page', () => {
    assert.equal(new Set(ENTITLEMENTS.map((e) => e.key)).size, ENTITLEMENTS.length);
    for (const e of ENTITLEMENTS) {
      assert.match(e.url, /^https:\/\/developer\.apple\.com\/documentation\/bundleresources\/entitlements\//, e.key);
      assert.ok(e.description.length > 10 && e.title.length > 2, e.key);
      assert.ok(e.distribution.length > 0, e.key);
    }
  });
});
