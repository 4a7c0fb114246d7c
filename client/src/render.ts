/**
 * Turns an inspection result into a Markdown page for the editor. Pure: no vscode import, so it is unit-tested.
 */
import type { InspectReport, InspectRequest } from '../../server/src/protocol';
import { ticketLabel } from './artifactState';

const MARK = { pass: '✅', warn: '⚠️', fail: '❌', 'n/a': '➖' } as const;

/** A disk image's or package's own signature, the stapled ticket and the online answer, one bullet each. */
function containerAndTicketLines(report: InspectReport): string[] {
  const lines: string[] = [];
  const image = report.diskImage;
  if (image) {
    const sig = image.signature;
    lines.push(
      sig
        ? `- signature: ${sig.signer ?? 'other'}, cdhash \`${sig.codeDirectories[0]?.cdhash ?? '?'}\`, ${sig.problems.length === 0 ? 'valid' : `invalid: ${sig.problems.join('; ')}`}`
        : '- signature: none',
    );
  }
  const pkg = report.package;
  if (pkg) {
    lines.push(`- ${pkg.checksum.style} checksum \`${pkg.checksum.value}\` (matches the table of contents)`);
    lines.push(
      pkg.signatures.length > 0
        ? `- signature: ${pkg.signatures.map((s) => `<${s.element}> ${s.certificates[0]?.commonName ?? s.signer}`).join(', ')}`
        : '- signature: none',
    );
  }
  if (report.stapledTicket !== undefined) lines.push(`- stapled ticket: ${report.stapledTicket ? 'yes' : 'no'}`);
  if (report.notarization)
    lines.push(`- notarization: ${ticketLabel(report) ?? 'unknown (the ticket service could not be asked)'}`);
  return lines.length > 0 ? [...lines, ''] : [];
}

function reportSection(report: InspectReport): string[] {
  const archs = report.architectures.map((s) => s.arch).join(', ');
  const lines = [`## ${report.path}`, '', `${report.kind}${archs ? ` · ${archs}` : ''}`, ''];
  lines.push(...containerAndTicketLines(report));
  if (report.architectures.length > 0)
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
