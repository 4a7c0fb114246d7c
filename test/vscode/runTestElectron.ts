/**
 * Runs the API-level suite (test/vscode/suite) in a downloaded VS Code with @vscode/test-electron, for machines that
 * can reach update.code.visualstudio.com (this project's CI cannot; there the same suite runs in code-server through
 * test/vscode/host-extension, from test/e2e/vscode.e2e.ts).
 *
 *   npx tsx test/vscode/runTestElectron.ts WORKSPACE_FOLDER
 */
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'dist', 'test-suite.js'),
    launchArgs: [process.argv[2] ?? path.join(root, 'test', 'e2e', 'workspace'), '--disable-extensions'],
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
