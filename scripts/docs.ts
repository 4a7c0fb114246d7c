/**
 * Writes docs/rules/<rule id>.md from the rule catalog, so the pages never drift from what the tool says.
 * Run with `npm run docs`; a test fails when the committed pages are out of date.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rule, RULES } from '../server/src/rules';

export function rulePage(rule: Rule): string {
  return [
    `# \`${rule.id}\`: ${rule.title}`,
    '',
    '## Why',
    rule.why,
    '',
    '## How to fix',
    rule.fix,
    '',
    '## Sources',
    ...rule.sources.map((s) => `- [${s.label}](${s.url})`),
    '',
    '<!-- Generated from server/src/rules/ by `npm run docs`. -->',
    '',
  ].join('\n');
}

export function rulePagePath(root: string, id: string): string {
  return path.join(root, 'docs', 'rules', `${id}.md`);
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  for (const rule of Object.values(RULES) as Rule[]) {
    const file = rulePagePath(root, rule.id);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, rulePage(rule));
  }
}
