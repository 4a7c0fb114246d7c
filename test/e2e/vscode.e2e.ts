/**
 * The extension in a real VS Code: code-server 4.139.1 (VS Code 1.139.1) runs our packaged .vsix in its Node extension
 * host, and Debian's chromium, driven by playwright-core, uses it as a person would. Each scene saves a screenshot
 * under test-results/e2e/. Apple's tools are the fakes of test/support/fake-apple, on code-server's PATH.
 *
 *   npm run test:e2e       (prepares the cached environment on first use: see environment.mjs)
 */
import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CHILD_LIMIT } from '../support/bounds';
import { fakeApple } from '../support/fakeApple';
import { buildGo, npmPackage, REPO, tempDir } from '../support/tools';

import { Browser, chromium, Page } from 'playwright-core';
import { prepare } from './environment';

const SHOTS = path.join(REPO, 'test-results', 'e2e');
const env = prepare();
const started: ChildProcess[] = [];
let browser: Browser;
let page: Page;
let workspace: string;
let apiResults: string;
const userDataDirs: string[] = [];

/** Our output channel's log from code-server's user-data folder, for failure messages. */
function extensionLog(): string {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.includes('Go macOS Sign')) found.push(fs.readFileSync(full, 'utf8'));
    }
  };
  for (const d of userDataDirs) walk(path.join(d, 'logs'));
  return found.join('\n').slice(-4000);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts code-server on loopback in its own process group (so stopping it takes every child with it). */
async function startCodeServer(
  folder: string,
  options: { trust: boolean; extraEnv: NodeJS.ProcessEnv; userSettings?: object; alsoInstall?: string[] },
): Promise<string> {
  const userData = tempDir('gms-e2e-user-');
  userDataDirs.push(userData);
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify({ 'workbench.startupEditor': 'none', ...options.userSettings }, null, 2),
  );
  const extensions = tempDir('gms-e2e-ext-');
  const install = spawnSync(
    env.node,
    [
      env.codeServer,
      '--user-data-dir',
      userData,
      '--extensions-dir',
      extensions,
      '--install-extension',
      path.join(REPO, 'dist', 'go-macos-sign.vsix'),
    ],
    { ...CHILD_LIMIT, encoding: 'utf8' },
  );
  assert.match(install.stdout, /successfully installed/, install.stderr);
  for (const vsix of options.alsoInstall ?? []) {
    const more = spawnSync(
      env.node,
      [env.codeServer, '--user-data-dir', userData, '--extensions-dir', extensions, '--install-extension', vsix],
      { ...CHILD_LIMIT, encoding: 'utf8' },
    );
    assert.match(more.stdout, /successfully installed/, more.stderr);
  }
  const port = await freePort();
  const args = [
    env.codeServer,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    ...(options.trust ? ['--disable-workspace-trust'] : []),
    '--user-data-dir',
    userData,
    '--extensions-dir',
    extensions,
    folder,
  ];
  const child = spawn(env.node, args, {
    env: { ...process.env, ...options.extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  started.push(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('code-server did not start in 60 s')), 60_000);
    child.stdout!.on('data', (b: Buffer) => {
      if (/HTTP server listening/.test(b.toString())) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`code-server exited (${code})`)));
  });
  return `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`;
}

async function open(url: string): Promise<Page> {
  const p = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await p.goto(url);
  await p.waitForSelector('.monaco-workbench', { timeout: 90_000 });
  // Let the extension host start and our extension activate.
  await p.waitForTimeout(5_000);
  return p;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** Opens a quick input (command palette, Quick Open) with `keys`, types `text` and accepts the first match. */
async function quickInput(keys: string, text: string): Promise<void> {
  await page.keyboard.press(keys);
  await page.waitForSelector('.quick-input-widget:not([style*="display: none"]) input');
  await page.keyboard.type(text);
  await page.waitForTimeout(800);
  await page.keyboard.press('Enter');
}

const runCommand = (title: string) => quickInput('Control+Shift+P', title);

async function openFile(name: string): Promise<void> {
  await quickInput('Control+P', name);
  await page.waitForTimeout(1_500);
}

/** The Problems panel's rows, as text, once they satisfy `ok` (polling: diagnostics arrive asynchronously). */
async function problems(ok: (rows: string[]) => boolean, timeout = 30_000): Promise<string[]> {
  const until = Date.now() + timeout;
  let rows: string[] = [];
  while (Date.now() < until) {
    rows = await page.locator('.markers-panel .monaco-list-row').allInnerTexts();
    if (ok(rows)) return rows;
    await page.waitForTimeout(500);
  }
  return rows;
}

/** Shows the macOS Signing view (clicking its icon again would hide the side bar). */
async function showSigningView(): Promise<void> {
  const title = page.locator('.part.sidebar .composite.title', { hasText: /macOS Signing/i });
  if (!(await title.isVisible().catch(() => false)))
    await page.locator('.activitybar .action-item a[aria-label^="macOS Signing"]').click();
  await title.waitFor({ timeout: 10_000 });
}

async function goTo(line: number, column: number): Promise<void> {
  await page.keyboard.press('Control+G');
  await page.keyboard.type(`${line}:${column}`);
  await page.keyboard.press('Enter');
  await page.waitForTimeout(300);
}

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  // The packaged extension, exactly what a user installs.
  const pack = spawnSync('npm', ['run', 'package'], { ...CHILD_LIMIT, cwd: REPO, encoding: 'utf8' });
  assert.equal(pack.status, 0, pack.stderr);

  // The API-level suite (test/vscode/suite) in a test-only extension that runs it when the extension host starts.
  const testBuild = spawnSync(process.execPath, ['scripts/build.mjs', '--test-extension'], {
    ...CHILD_LIMIT,
    cwd: REPO,
    encoding: 'utf8',
  });
  assert.equal(testBuild.status, 0, testBuild.stderr);
  const apiVsix = path.join(tempDir(), 'api-tests.vsix');
  const apiPack = spawnSync(
    process.execPath,
    [
      path.join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce'),
      'package',
      '--no-dependencies',
      '--skip-license',
      '--allow-missing-repository',
      '--out',
      apiVsix,
    ],
    { ...CHILD_LIMIT, cwd: path.join(REPO, 'test', 'vscode', 'host-extension'), encoding: 'utf8' },
  );
  assert.equal(apiPack.status, 0, apiPack.stderr);
  apiResults = path.join(tempDir(), 'api-results.json');

  workspace = path.join(tempDir('gms-e2e-ws-'), 'project');
  fs.cpSync(path.join(REPO, 'test', 'e2e', 'workspace'), workspace, { recursive: true });
  const dist = path.join(workspace, 'dist');
  buildGo('arm64', dist, { name: 'hello-arm64' });
  buildGo('amd64', dist, { name: 'hello-amd64' });
  fs.copyFileSync(
    path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli'),
    path.join(dist, 'sentry-cli'),
  );

  const fake = fakeApple();
  browser = await chromium.launch({
    executablePath: env.chromium,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  // The extension host gets its PATH from a login shell, so the fakes are named the way users name tools that are not
  // on PATH: the machine-scoped goMacosSign.toolPaths setting.
  const toolPaths = Object.fromEntries(
    ['xcrun', 'codesign', 'ditto', 'xattr', 'spctl', 'security'].map((t) => [t, path.join(fake.bin, t)]),
  );
  page = await open(
    await startCodeServer(workspace, {
      trust: true,
      extraEnv: {
        FAKE_APPLE_LOG: fake.log,
        FAKE_NOTARY_DIR: fake.env.FAKE_NOTARY_DIR,
        GO_MACOS_SIGN_STATE_DIR: fake.env.GO_MACOS_SIGN_STATE_DIR,
        GO_MACOS_SIGN_API_RESULTS: apiResults,
      },
      userSettings: { 'goMacosSign.toolPaths': toolPaths },
      alsoInstall: [apiVsix],
    }),
  );
});

after(async () => {
  await browser?.close();
  for (const child of started) {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
});

describe('go-macos-sign in VS Code 1.139 (code-server)', () => {
  it("API level, inside the extension host: activation, commands, tasks, the view's items, diagnostics", async () => {
    const until = Date.now() + 90_000;
    while (!fs.existsSync(apiResults) && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
    assert.ok(fs.existsSync(apiResults), `the test-only extension wrote no results\n${extensionLog()}`);
    const results = JSON.parse(fs.readFileSync(apiResults, 'utf8')) as {
      name: string;
      ok: boolean;
      message?: string;
    }[];
    for (const r of results)
      console.log(`    ${r.ok ? 'ok' : 'FAILED'}: ${r.name}${r.message ? ` (${r.message})` : ''}`);
    assert.deepEqual(
      results.filter((r) => !r.ok),
      [],
    );
    assert.equal(results.length, 5);
  });

  it('entitlements: get-task-allow in the Problems panel, fixed from the light bulb', async () => {
    await openFile('debug.entitlements');
    await page.keyboard.press('Control+Shift+M');
    const rows = await problems((r) => r.some((t) => t.includes('entitlements/get-task-allow')));
    assert.ok(
      rows.some((t) => t.includes('entitlements/get-task-allow') && t.includes('Ln 5')),
      rows.join('\n'),
    );
    await shot('1-entitlements-problem');
    await goTo(5, 12);
    await page.keyboard.press('Control+.');
    await page.waitForSelector('.action-widget', { timeout: 10_000 });
    await shot('1-entitlements-quick-fix');
    // The preferred fix is focused: Enter applies it, as a user would.
    await page.keyboard.press('Enter');
    const after = await problems((r) => !r.some((t) => t.includes('get-task-allow')));
    assert.ok(!after.some((t) => t.includes('get-task-allow')), after.join('\n'));
    await shot('1-entitlements-fixed');
    await page.keyboard.press('Control+S');
  });

  it('go.mod: the cgo requirement is flagged on its line, with the rule link', async () => {
    await openFile('go.mod');
    const rows = await problems((r) => r.some((t) => t.includes('gomod/cgo-dependency')));
    assert.ok(
      rows.some((t) => t.includes('gomod/cgo-dependency') && t.includes('Ln 5')),
      rows.join('\n'),
    );
    await shot('2-gomod-cgo');
  });

  it("Makefile: the seed article's codesign line is diagnosed, and -H=macOS has a hover", async () => {
    await openFile('Makefile');
    const rows = await problems((r) => r.some((t) => t.includes('codesign/timestamp-none')));
    for (const code of [
      'ldflags/invalid-headtype',
      'codesign/deep',
      'codesign/timestamp-none',
      'codesign/not-developer-id',
      'codesign/missing-runtime',
    ]) {
      assert.ok(
        rows.some((t) => t.includes(code)),
        `${code} missing:\n${rows.join('\n')}`,
      );
    }
    await shot('3-makefile-problems');
    await goTo(2, 24);
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+I');
    const hover = page.locator('.monaco-hover-content').first();
    await hover.waitFor({ timeout: 10_000 });
    assert.match(await hover.innerText(), /invalid headtype/);
    await shot('3-makefile-hover');
    await page.keyboard.press('Escape');
  });

  it('macOS Signing view: the artifacts with their states, and the checks of one', async () => {
    await showSigningView();
    const view = page.locator('.pane-body', { has: page.locator('.monaco-list') }).filter({ hasText: 'hello-arm64' });
    await view.waitFor({ timeout: 30_000 });
    const rows = await view.locator('.monaco-list-row').allInnerTexts();
    const text = rows.join('\n');
    assert.match(text, /hello-amd64[\s\S]*x86_64[\s\S]*unsigned/);
    assert.match(text, /hello-arm64[\s\S]*arm64[\s\S]*ad-hoc/);
    assert.match(text, /sentry-cli[\s\S]*ready to notarize/);
    await view.locator('.monaco-list-row', { hasText: 'sentry-cli' }).click();
    await page.keyboard.press('ArrowRight');
    await page.waitForTimeout(1_000);
    const expanded = (await view.locator('.monaco-list-row').allInnerTexts()).join('\n');
    assert.match(expanded, /signature\/developer-id/);
    assert.match(expanded, /cdhash/);
    await shot('4-signing-view');
  });

  it('Notarize…: an Invalid verdict fills the Problems panel; an Accepted one changes the state', async () => {
    // The fake notary judges what each archive holds (test/support/fake-apple): the Go linker's ad-hoc signature of
    // hello-arm64 is Invalid (no Developer ID, no timestamp, no runtime); sentry-cli, signed by its publisher with
    // Developer ID, the hardened runtime and a secure timestamp, is Accepted.
    const notarize = async (name: string, pickShot?: string) => {
      await runCommand('Go macOS: Notarize…');
      await page.waitForTimeout(800);
      if (pickShot) await shot(pickShot);
      await page.keyboard.type(name);
      await page.waitForTimeout(500);
      await page.keyboard.press('Enter');
    };
    await notarize('hello-arm64', '5-notarize-pick');
    await page.keyboard.press('Control+Shift+M');
    const expected = [
      'The binary is not signed with a valid Developer ID certificate.',
      'The signature does not include a secure timestamp.',
      'The executable does not have the hardened runtime enabled.',
    ];
    const rows = await problems((r) => expected.every((m) => r.some((t) => t.includes(m))), 60_000);
    await shot('5-notarize-invalid');
    for (const m of expected)
      assert.ok(
        rows.some((t) => t.includes(m)),
        `${m}\n${rows.join('\n')}\n--- extension log ---\n${extensionLog()}`,
      );

    await notarize('sentry-cli');
    await showSigningView();
    const until = Date.now() + 120_000;
    let text = '';
    while (Date.now() < until && !/sentry-cli[^\n]*\n?[^\n]*notarized/.test(text)) {
      await page.waitForTimeout(1_000);
      text = (await page.locator('.part.sidebar .monaco-list-row').allInnerTexts()).join('\n');
    }
    assert.match(text, /sentry-cli[\s\S]*notarized/, `${text}\n--- extension log ---\n${extensionLog()}`);
    assert.doesNotMatch(text, /hello-arm64[^\n]*notarized/);
    // The Accepted verdict replaced the Invalid one: one notification on screen, and no spinner in the status bar.
    await page
      .locator('.notifications-toasts .notification-toast', { hasText: 'notarized' })
      .waitFor({ timeout: 15_000 });
    assert.equal(
      await page.locator('.notifications-toasts .notification-toast').count(),
      1,
      await page.locator('.notifications-toasts').innerText(),
    );
    assert.equal(await page.locator('.part.statusbar .statusbar-item', { hasText: 'Notarizing' }).count(), 0);
    await shot('5-notarize-accepted');
  });

  it('Restricted Mode: nothing runs, and the view says why', async () => {
    const restricted = await open(await startCodeServer(workspace, { trust: false, extraEnv: {} }));
    const previous = page;
    page = restricted;
    try {
      // VS Code asks whether to trust the folder; stay in Restricted Mode.
      const dialog = page.locator('.monaco-dialog-box');
      if (await dialog.isVisible().catch(() => false))
        await dialog
          .locator('.monaco-button', { hasText: /Don.t Trust|No/ })
          .first()
          .click();
      await showSigningView();
      const message = page.locator('.pane-body', { hasText: 'Restricted Mode: artifacts are inspected' });
      await message.waitFor({ timeout: 30_000 });
      assert.match(
        await message.innerText(),
        /no tool runs \(go, codesign, notarytool\) until you trust this workspace/,
      );
      // A step that would run tools refuses, and says why.
      await runCommand('Go macOS: Build for macOS');
      const toast = page.locator('.notifications-toasts', { hasText: 'trust this workspace first' });
      await toast.waitFor({ timeout: 15_000 });
      await shot('6-restricted-mode');
    } finally {
      page = previous;
      await restricted.close();
    }
  });
});

describe('editor: Test Explorer, CodeLens and language status (issue 14)', () => {
  /** The rows of the side bar's tree (whatever view shows), with their accessible labels (which carry test states). */
  const sidebarRows = async () =>
    page
      .locator('.part.sidebar .monaco-list-row')
      .evaluateAll((rows) =>
        rows.map((r) => `${r.getAttribute('aria-label') ?? ''} | ${(r as unknown as { innerText: string }).innerText}`),
      );

  /** Maximizes the panel or restores it, checking its height (the toggle command alone may land on either state). */
  const maximizePanel = async (maximized: boolean) => {
    const tall = async () => ((await page.locator('.part.panel').boundingBox())?.height ?? 0) > 600;
    for (let i = 0; i < 3 && (await tall()) !== maximized; i++) {
      await page.keyboard.press('Escape');
      await runCommand('View: Toggle Maximized Panel');
      await page.waitForTimeout(1_000);
    }
  };

  it('editor: the Testing view lists each artifact with its readiness checks, run again on request', async () => {
    await runCommand('Testing: Focus on Test Explorer View');
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'sentry-cli' }).waitFor({ timeout: 30_000 });
    await runCommand('Test: Run All Tests');
    // Each artifact item holds its checks; wait until the run has given sentry-cli's a state.
    const row = page.locator('.part.sidebar .monaco-list-row', { hasText: 'sentry-cli' }).first();
    await row.click();
    await page.keyboard.press('ArrowRight');
    const until = Date.now() + 60_000;
    let rows: string[] = [];
    while (Date.now() < until) {
      rows = await sidebarRows();
      if (rows.some((r) => /Developer ID/.test(r) && /pass/i.test(r))) break;
      await page.waitForTimeout(1_000);
    }
    const text = rows.join('\n');
    for (const name of ['signed', 'intact', 'Developer ID', 'hardened runtime', 'secure timestamp', 'entitlements'])
      assert.ok(
        rows.some((r) => r.includes(name) && /pass/i.test(r)),
        `${name} did not pass:\n${text}\n--- extension log ---\n${extensionLog()}`,
      );
    // The earlier scene notarized sentry-cli (Accepted, the ticket covers its cdhashes); a bare binary holds no ticket.
    assert.ok(
      rows.some((r) => r.includes('notarized') && /pass/i.test(r)),
      text,
    );
    assert.ok(
      rows.some((r) => r.includes('stapled') && /skip/i.test(r)),
      text,
    );
    await shot('7-testing-view');
  });

  it('editor: a package main file shows Build for macOS · Sign · Notarize; another main package offers to become the one built', async () => {
    fs.writeFileSync(
      path.join(workspace, 'main.go'),
      '// Command e2e is the program this workspace ships.\npackage main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n',
    );
    fs.mkdirSync(path.join(workspace, 'cmd', 'tool'), { recursive: true });
    fs.writeFileSync(path.join(workspace, 'cmd', 'tool', 'main.go'), 'package main\n\nfunc main() {}\n');
    await openFile('main.go');
    const lens = page.locator('.monaco-editor .codelens-decoration', { hasText: 'Build for macOS' });
    await lens.first().waitFor({ timeout: 30_000 });
    const titles = (await page.locator('.monaco-editor .codelens-decoration').allInnerTexts()).join(' | ');
    for (const t of ['Build for macOS', 'Sign', 'Notarize']) assert.ok(titles.includes(t), titles);
    await shot('8-codelens-main');

    await openFile('tool/main.go');
    const other = page.locator('.monaco-editor .codelens-decoration', { hasText: 'Build this program for macOS' });
    await other.first().waitFor({ timeout: 30_000 });
    await shot('8-codelens-other-package');
  });

  it('editor: the language status names the Go version and what signs and notarizes', async () => {
    await openFile('main.go');
    // Go is not on the extension host's PATH here: name it as a user would, in the machine-wide toolPaths.
    const { goTool } = require('../support/tools') as typeof import('../support/tools');
    const go = goTool();
    const expected = spawnSync(go, ['version'], { ...CHILD_LIMIT, encoding: 'utf8' }).stdout.split(' ')[2];
    // In code-server's (remote) window, machine-scoped settings are read from the server's Machine/settings.json.
    const machine = path.join(userDataDirs[0], 'Machine', 'settings.json');
    const user = JSON.parse(fs.readFileSync(path.join(userDataDirs[0], 'User', 'settings.json'), 'utf8')) as Record<
      string,
      Record<string, string>
    >;
    fs.mkdirSync(path.dirname(machine), { recursive: true });
    fs.writeFileSync(
      machine,
      JSON.stringify({ 'goMacosSign.toolPaths': { ...user['goMacosSign.toolPaths'], go } }, null, 2),
    );
    await openFile('main.go');
    const status = page.locator('.part.statusbar [id="status.languageStatus"]');
    await status.waitFor({ timeout: 30_000 });
    const until = Date.now() + 60_000;
    let hover = '';
    while (Date.now() < until) {
      await status.hover();
      await page.waitForTimeout(1_500);
      hover = (await page.locator('.hover-language-status').allInnerTexts()).join('\n');
      if (hover.includes(expected) && hover.includes('notarytool')) break;
      await page.mouse.move(700, 400);
      await page.waitForTimeout(1_000);
    }
    await status.hover();
    await page.waitForTimeout(1_500);
    await shot('9-language-status');
    assert.ok(hover.includes(expected), `${expected} not in:\n${hover}\n--- extension log ---\n${extensionLog()}`);
    // The workspace names a keychain identity and a notarytool profile, and toolPaths names codesign and xcrun.
    assert.match(hover, /codesign · notarytool/);
    await page.mouse.move(700, 400);
  });

  it('editor: a failed check shows in Test Results with its message (run last: it maximizes the panel)', async () => {
    await runCommand('Testing: Focus on Test Explorer View');
    // hello-arm64 carries the Go linker's ad-hoc signature: Developer ID fails, with the rule's page in its message.
    // Run it alone (its row's Run button) after clearing the results, so Test Results holds only its checks.
    await runCommand('Test: Clear All Results');
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'sentry-cli' }).first().click();
    await page.keyboard.press('ArrowLeft');
    const arm = page.locator('.part.sidebar .monaco-list-row', { hasText: 'hello-arm64' }).first();
    await arm.hover();
    await arm.locator('.action-label[aria-label^="Run Test"]').click();
    await arm.click();
    await page.keyboard.press('ArrowRight');
    await page.waitForTimeout(2_000);
    const armRows = await sidebarRows();
    assert.ok(
      armRows.some((r) => r.includes('Developer ID') && /fail/i.test(r)),
      armRows.join('\n'),
    );
    // Test Results, maximized so that its tree does not scroll: the failures come first, each with the check's
    // message (the rule's page is linked in the failure's peek, which VS Code opens beside a text document only).
    await runCommand('Testing: Focus on Test Results View');
    await maximizePanel(true);
    const results = page.locator('.part.panel');
    await results
      .locator('.monaco-list-row', { hasText: /signature\/developer-id: fail/ })
      .first()
      .waitFor({ timeout: 15_000 })
      .catch(async () => {
        throw new Error(`no failed Developer ID check in Test Results:\n${await results.innerText()}`);
      });
    await shot('7-testing-failure-message');
    const shown = await results.innerText();
    await maximizePanel(false);
    assert.match(shown, /hello-arm64 › Developer ID: failed\s+signature\/developer-id: fail/);
  });
});
