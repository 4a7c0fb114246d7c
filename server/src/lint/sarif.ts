/**
 * SARIF 2.1.0 output of lint diagnostics, for GitHub code scanning (`github/codeql-action/upload-sarif`).
 *
 * Pure: diagnostics in, a SARIF log out. Rules come from the catalog, so each result links to its rule page.
 * SARIF lines and columns are 1-based; columns count UTF-16 code units (SARIF's default `columnKind`), as ours do.
 */
import * as path from 'node:path';
import { Rule, RULES, RuleId, ruleDocUrl } from '../rules';
import type { FileDiagnostic } from './lintFiles';

const LEVEL: Record<FileDiagnostic['severity'], 'error' | 'warning' | 'note'> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
  hint: 'note',
};

function physical(file: string, range: FileDiagnostic['range'], baseDir: string): object {
  return {
    artifactLocation: { uri: path.relative(baseDir, file).split(path.sep).map(encodeURIComponent).join('/') },
    region: {
      startLine: range.start.line + 1,
      startColumn: range.start.character + 1,
      endLine: range.end.line + 1,
      endColumn: range.end.character + 1,
    },
  };
}

export function toSarif(diagnostics: FileDiagnostic[], version: string, baseDir = process.cwd()): object {
  const ruleIds = [...new Set(diagnostics.map((d) => d.code))].sort();
  const rules = ruleIds.map((id) => {
    const rule = RULES[id as RuleId] as Rule;
    return {
      id,
      shortDescription: { text: rule.title },
      fullDescription: { text: rule.why },
      help: { text: rule.fix },
      helpUri: ruleDocUrl(id as RuleId),
      defaultConfiguration: { level: LEVEL[rule.severity ?? 'warning'] },
    };
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'go-macos-sign',
            version,
            informationUri: 'https://github.com/go-macos-sign/go-macos-sign',
            rules,
          },
        },
        columnKind: 'utf16CodeUnits',
        results: diagnostics.map((d) => ({
          ruleId: d.code,
          ruleIndex: ruleIds.indexOf(d.code),
          level: LEVEL[d.severity],
          message: { text: d.message },
          locations: [{ physicalLocation: physical(d.file, d.range, baseDir) }],
          ...(d.related
            ? {
                relatedLocations: d.related.map((r, id) => ({
                  id,
                  physicalLocation: physical(r.file, r.range, baseDir),
                  message: { text: r.message },
                })),
              }
            : {}),
        })),
      },
    ],
  };
}
