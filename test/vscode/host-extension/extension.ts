/**
 * A test-only extension for code-server: on activation it runs the API-level suite (../suite) in the real extension
 * host and writes the results as JSON to the file named by GO_MACOS_SIGN_API_RESULTS. Never shipped.
 */
import * as fs from 'node:fs';
import { runChecks } from '../suite';

export async function activate(): Promise<void> {
  const target = process.env.GO_MACOS_SIGN_API_RESULTS;
  if (!target) return;
  const results = await runChecks();
  fs.writeFileSync(target, JSON.stringify(results, null, 2));
}

export function deactivate(): void {}
