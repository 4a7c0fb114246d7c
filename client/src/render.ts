/**
 * Turns an inspection result into a Markdown page for the editor. Pure: no vscode import, so it is unit-tested.
 */
import type { InspectReport, InspectRequest } from '../../server/src/protocol';

const MARK = { pass: '✅', warn: '⚠️', fail: '❌', 'n/a': '➖' } as const;

function reportSection(report: InspectReport): string[] {
  const lines = [`## ${report.path}`, '', `${report.kind} · ${report.architectures.map((s) => s.arch).join(', ')}`, ''];
  lines.push(
    '| architecture | signer | identifier | team | runtime | timestamp | verification |',
    '|---|---|---|---|---|---|---|',
  );
  for (const s of report.architectures) {
    const sig = s.signature;
    const verification = s.verification.valid
      ? `valid (${s.verification.pagesChecked} pages)`
      : (s.verification.failures[0]?.message ?? 'invalid');
    lines.push(
      `| ${s.arch} | ${sig?.kind ?? 'none'} | ${sig?.identifier ?? ''} | ${sig?.teamId ?? ''} | ${sig?.hardenedRuntime ? 'yes' : 'no'} | ${sig?.timestamp?.time ?? ''} | ${verification.replace(/\|/g, '\\|')} |`,
    );
  }
  lines.push('', '### Readiness for notarization', '');
  for (const c of report.checks) lines.push(`- ${MARK[c.status]} \`${c.id}\` ${c.message}`);
  lines.push('');
  return lines;
}

export function renderInspection(result: InspectRequest.Result): string {
  const lines = ['# Go macOS Sign: inspection', ''];
  for (const e of result.errors) lines.push(`> ❗ ${e.message}`, '');
  for (const r of result.reports) lines.push(...reportSection(r));
  return lines.join('\n');
}
