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
import { generateKeyPairSync } from 'node:crypto';
import { fakeApple } from '../support/fakeApple';
import { FakeNotary, FakeNotaryOptions, startFakeNotary } from '../support/fakeNotary';
import { opensslCmsVerify } from '../support/oracle';
import { testPki, TEST_TEAM } from '../support/testPki';
import { fakeTicket, startTicketServer, TicketServer } from '../support/ticketServer';
import { buildGo, npmPackage, REPO, runCliAsync, tempDir } from '../support/tools';
import { startTsa, Tsa } from '../support/tsa';

import { Browser, chromium, Locator, Page } from 'playwright-core';
import { prepare } from './environment';

const SHOTS = path.join(REPO, 'test-results', 'e2e');
const SIGCHECK = path.join(REPO, 'test', 'support', 'sigcheck.py');
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
  options: {
    trust: boolean;
    extraEnv: NodeJS.ProcessEnv;
    userSettings?: object;
    alsoInstall?: string[];
    /** A restart: the same user data and port (the browser keeps its storage per origin). */
    userData?: string;
    port?: number;
  },
): Promise<string> {
  const userData = options.userData ?? tempDir('gms-e2e-user-');
  if (!userDataDirs.includes(userData)) userDataDirs.push(userData);
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
  const port = options.port ?? (await freePort());
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

/** A page on `url` in a browser context of its own (the workbench keeps state per context), once VS Code has loaded. */
async function open(url: string): Promise<Page> {
  const p = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  // A loaded machine can take more than the default 30 s to serve the workbench's scripts.
  await p.goto(url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
  await p.waitForSelector('.monaco-workbench', { timeout: 90_000 });
  // Let the extension host start and our extension activate.
  await p.waitForTimeout(5_000);
  return p;
}

/** The quick input on screen once it shows `text` (a title, or a row), so typing goes where it should. */
async function quickInputWith(text: string): Promise<void> {
  await page
    .locator('.quick-input-widget:not([style*="display: none"])', { hasText: text })
    .waitFor({ timeout: 30_000 });
}

/**
 * In "Choose Signing Identity", picks "Use a .p12 file…" and puts `file` in VS Code's own file dialog (the simple
 * one, in the browser): pasted whole, since typed a key at a time the dialog's completion of each folder races the
 * keys. Returns the dialog's input, for the caller to check and accept.
 */
async function pickP12File(file: string): Promise<Locator> {
  await page.keyboard.type('.p12');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Use a .p12 file' }).first().waitFor();
  await page.keyboard.press('Enter');
  await quickInputWith('Developer ID Application identity (.p12)');
  const input = page.locator('.quick-input-widget:not([style*="display: none"]) input');
  for (let i = 0; i < 5 && (await input.inputValue()) !== file; i++) {
    await input.fill(file);
    await page.waitForTimeout(1_000);
  }
  return input;
}

/** Closes a page `open` made, with its browser context. */
async function closePage(p: Page | undefined): Promise<void> {
  await p
    ?.context()
    .close()
    .catch(() => undefined);
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
    // The pre-flight refuses it before any upload: Apple's messages with our fix reach the Problems panel at once, and
    // the notification offers to submit anyway, which the test does, so that the notary judges the bytes too.
    const stopped = page.locator('.notifications-toasts .notification-toast', {
      hasText: 'Notarization stopped: 3 problems Apple would reject',
    });
    await stopped.waitFor({ timeout: 60_000 });
    const early = await problems((r) => expected.every((m) => r.some((t) => t.includes(m) && t.includes('Fix:'))));
    await shot('5-notarize-preflight');
    for (const m of expected)
      assert.ok(
        early.some((t) => t.includes(m) && t.includes('Fix:')),
        `${m}\n${early.join('\n')}\n--- extension log ---\n${extensionLog()}`,
      );
    await stopped.locator('.monaco-button', { hasText: 'Submit Anyway' }).click();
    // Apple's verdict (the fake notary's) replaces the pre-flight's entries: the log's issues, with the likely Go cause.
    const rows = await problems(
      (r) => expected.every((m) => r.some((t) => t.includes(m) && t.includes('Likely cause'))),
      60_000,
    );
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

/**
 * Notarizing on Linux as a user would (issues 13 and 14): no xcrun anywhere, so "Notarize…" asks for an App Store
 * Connect API key (the .p8 picked in the file dialog goes to secret storage) and the CLI talks to the strict stand-in
 * for Apple's Notary REST API and S3 (test/support/fakeNotary.ts); the stapler finds the ticket at the stand-in for
 * Apple's ticket service (test/support/ticketServer.ts), which knows a ticket for every cdhash the notary accepted.
 * The artifacts are sentry-cli (signed by its publisher with Developer ID, the hardened runtime and a timestamp: what
 * Apple accepts) as a bare binary and as the main executable of an .app the test makes around it.
 */
describe('Notarize… on Linux with an API key and the stand-in services', () => {
  const KEY_ID = 'ABCDE12345';
  const ISSUER = '69a6de7e-1a2b-47e3-e053-5b8c7c11a4d1';
  let notary: FakeNotary;
  let notaryOptions: FakeNotaryOptions;
  let tickets: TicketServer;
  let apiWorkspace: string;
  let keyFile: string;
  let linuxPage: Page;
  let restart: { userData: string; port: number; env: NodeJS.ProcessEnv };

  /** The ticket service publishes a ticket for every cdhash of an Accepted submission (what Apple does). */
  class PublishedTickets extends Map<string, Buffer | 'deleted'> {
    override get(name: string): Buffer | undefined {
      const accepted = (notary?.submissions ?? [])
        .filter((s) => s.verdict?.status === 'Accepted' && s.uploadedMs !== null)
        .flatMap((s) => s.verdict!.hashes.map(([, , cdhash]) => `2/2/${cdhash}`));
      return accepted.includes(name) ? fakeTicket(`ticket for ${name}`) : undefined;
    }
  }

  /** Runs "Notarize…" on an artifact picked by name, each step waiting for what it types into. */
  async function notarizeOnLinux(name: string): Promise<void> {
    await page.keyboard.press('Control+Shift+P');
    await quickInputWith('');
    await page.keyboard.type('Go macOS: Notarize…');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Go macOS: Notarize…' }).first().waitFor();
    await page.keyboard.press('Enter');
    await quickInputWith('Notarize which artifact?');
    await page.keyboard.type(name);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
  }

  /**
   * The view's text once `pattern` matches one of its rows (a row alone: an artifact's label and its state, never the
   * next artifact's), clicking "Submit Anyway" if the pre-flight stops the submission.
   */
  async function viewUntil(pattern: RegExp, timeout = 120_000): Promise<string> {
    const until = Date.now() + timeout;
    let text = '';
    while (Date.now() < until) {
      const anyway = page.locator('.notifications-toasts .notification-toast', { hasText: 'Notarization stopped' });
      if (await anyway.isVisible().catch(() => false))
        await anyway.locator('.monaco-button', { hasText: 'Submit Anyway' }).click();
      const rows = await page.locator('.part.sidebar .monaco-list-row').allInnerTexts();
      text = rows.join('\n');
      if (rows.some((row) => pattern.test(row))) return text;
      await page.waitForTimeout(1_000);
    }
    assert.fail(`${pattern} not in the view:\n${text}\n--- extension log ---\n${extensionLog()}`);
  }

  /** The status bar's notarization item, when shown. */
  const statusItem = () => page.locator('.part.statusbar .statusbar-item', { hasText: 'Notarizing' });

  before(async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    keyFile = path.join(tempDir('gms-e2e-key-'), `AuthKey_${KEY_ID}.p8`);
    fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    notaryOptions = { publicKey, keyId: KEY_ID, issuer: ISSUER };
    notary = await startFakeNotary(notaryOptions);
    tickets = await startTicketServer(new PublishedTickets());

    apiWorkspace = path.join(tempDir('gms-e2e-api-'), 'project');
    fs.cpSync(path.join(REPO, 'test', 'e2e', 'workspace'), apiWorkspace, { recursive: true });
    // The same settings as the first workspace (a keychain profile), but no xcrun: the extension must switch to the
    // API key by itself. Artifacts are looked for inside bundles too.
    const settingsFile = path.join(apiWorkspace, '.vscode', 'settings.json');
    const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(settingsFile, JSON.stringify({ ...settings, 'goMacosSign.artifacts': ['dist/**/*'] }, null, 2));
    const dist = path.join(apiWorkspace, 'dist');
    fs.mkdirSync(dist, { recursive: true });
    const sentry = path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli');
    fs.copyFileSync(sentry, path.join(dist, 'sentry-cli'));
    fs.copyFileSync(sentry, path.join(dist, 'sentry-tool'));
    const app = path.join(dist, 'Sentry.app', 'Contents');
    fs.mkdirSync(path.join(app, 'MacOS'), { recursive: true });
    fs.copyFileSync(sentry, path.join(app, 'MacOS', 'sentry-cli'));
    fs.writeFileSync(
      path.join(app, 'Info.plist'),
      `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>CFBundleExecutable</key><string>sentry-cli</string>
  <key>CFBundleIdentifier</key><string>io.sentry.cli</string>
  <key>CFBundlePackageType</key><string>APPL</string>
</dict>
</plist>
`,
    );

    const userData = tempDir('gms-e2e-user-');
    const port = await freePort();
    restart = {
      userData,
      port,
      env: {
        ...notary.env,
        GO_MACOS_SIGN_TICKET_URL: tickets.url,
        GO_MACOS_SIGN_STATE_DIR: path.join(tempDir('gms-e2e-state-'), 'state'),
      },
    };
    // Its own browser context, kept across the restart: the workbench keeps state in the browser, per origin.
    const url = await startCodeServer(apiWorkspace, { trust: true, extraEnv: restart.env, userData, port });
    linuxPage = await open(url);
  });

  after(async () => {
    await closePage(linuxPage);
    await tickets?.close();
    await notary?.close();
  });

  it('asks for the API key (into secret storage), notarizes an .app and staples it: "notarized, stapled"', async () => {
    const previous = page;
    page = linuxPage;
    try {
      await showSigningView();
      await viewUntil(/Sentry\.app[\s\S]*ready to notarize/, 60_000);
      await notarizeOnLinux('Sentry.app');
      // No key yet: the file dialog (VS Code's own, in the browser) asks for the .p8.
      await quickInputWith('App Store Connect API key');
      const input = page.locator('.quick-input-widget:not([style*="display: none"]) input');
      await shot('7-api-key-file');
      await page.keyboard.press('Control+A');
      await page.keyboard.type(keyFile);
      await page.waitForTimeout(1_000);
      await page.keyboard.press('Enter');
      // The key id, read from the file name; then the issuer.
      await quickInputWith('API key id');
      assert.equal(await input.inputValue(), KEY_ID);
      await page.keyboard.press('Enter');
      await quickInputWith('Issuer id');
      await page.keyboard.type(ISSUER);
      await shot('7-api-key-issuer');
      await page.keyboard.press('Enter');

      // The status bar follows the submission while it runs.
      await statusItem().waitFor({ timeout: 30_000 });
      const text = await viewUntil(/Sentry\.app[^\n]*\n?[^\n]*notarized, stapled/);
      assert.match(text, /Sentry\.app[\s\S]*notarized, stapled/);
      await page
        .locator('.notifications-toasts .notification-toast', { hasText: 'and stapled' })
        .waitFor({ timeout: 15_000 });
      await shot('7-notarize-app-stapled');

      // What reached the stand-ins: one submission, authenticated with the key the user picked; a ticket lookup.
      assert.equal(notary.submissions.length, 1);
      assert.ok(notary.requests.some((r) => r.claims?.iss === ISSUER && r.status < 300));
      assert.ok(tickets.requests.length > 0);
      assert.deepEqual(tickets.refused, []);
      // The ticket was written where Apple's stapler writes it in a bundle.
      assert.ok(fs.existsSync(path.join(apiWorkspace, 'dist', 'Sentry.app', 'Contents', 'CodeResources')));
      // The key's text is in secret storage, not in settings.
      const written = fs.readFileSync(path.join(apiWorkspace, '.vscode', 'settings.json'), 'utf8');
      assert.match(written, new RegExp(`"goMacosSign.notarization.keyId": "${KEY_ID}"`));
      assert.doesNotMatch(written, /PRIVATE KEY/);
      assert.doesNotMatch(extensionLog(), /PRIVATE KEY/);
    } finally {
      page = previous;
    }
  });

  it('a bare binary: "notarized", and the verdict says why it is not stapled', async () => {
    const previous = page;
    page = linuxPage;
    try {
      await notarizeOnLinux('sentry-cli');
      const text = await viewUntil(/sentry-cli[^\n]*\n?[^\n]*· notarized(?!,)/);
      assert.match(text, /sentry-cli[\s\S]*notarized/);
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'cannot carry a ticket' });
      await toast.waitFor({ timeout: 15_000 });
      assert.match(await toast.innerText(), /Open Log/);
      await shot('7-notarize-binary');
      assert.equal(notary.submissions.length, 2, 'no prompt for the key again, one more submission');
    } finally {
      page = previous;
    }
  });

  it('a release you can leave: a submission in flight survives a restart of VS Code, and its verdict arrives once', async () => {
    const previous = page;
    page = linuxPage;
    try {
      // Apple takes its time: the verdict stays In Progress until the test lets it through.
      notaryOptions.processingMs = 3_600_000;
      await notarizeOnLinux('sentry-tool');
      const until = Date.now() + 60_000;
      while (Date.now() < until && !/In Progress/.test((await statusItem().allInnerTexts()).join(' ')))
        await page.waitForTimeout(500);
      assert.match((await statusItem().allInnerTexts()).join(' '), /sentry-tool: In Progress/);
      await shot('8-in-flight');
      const submitted = notary.submissions.length;

      // Quit VS Code: code-server and everything it started (the CLI waiting) stop.
      const server = started[started.length - 1];
      const exited = new Promise((resolve) => server.once('exit', resolve));
      process.kill(-server.pid!, 'SIGTERM');
      await exited;

      // Apple decides while VS Code is closed; VS Code starts again, on the same profile, in the same browser.
      notaryOptions.processingMs = 0;
      const url = await startCodeServer(apiWorkspace, {
        trust: true,
        extraEnv: restart.env,
        userData: restart.userData,
        port: restart.port,
      });
      await linuxPage.goto(url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
      await linuxPage.waitForSelector('.monaco-workbench', { timeout: 90_000 });
      page = linuxPage;
      await showSigningView();
      const text = await viewUntil(/sentry-tool[^\n]*\n?[^\n]*· notarized/);
      assert.match(text, /sentry-tool[\s\S]*notarized/);
      const toasts = page.locator('.notifications-toasts .notification-toast', { hasText: 'sentry-tool' });
      // The run's notification says it resumed, and becomes the verdict when the verdict is read.
      await toasts.filter({ hasText: 'Open Log' }).first().waitFor({ timeout: 30_000 });
      assert.equal(await toasts.count(), 1, await page.locator('.notifications-toasts').innerText());
      assert.match(await toasts.first().innerText(), /notarized[\s\S]*Open Log/);
      await shot('8-resumed-after-restart');
      assert.equal(notary.submissions.length, submitted, 'resumed: nothing submitted again');
      assert.equal(await statusItem().count(), 0);
    } finally {
      page = previous;
    }
  });
});

describe('Create Release Workflow (issue 14)', () => {
  it('writes the workflow, opens it with no problem, and names the secrets to create', async () => {
    // The e2e workspace has no program yet: give it one, as a module being released would have.
    fs.mkdirSync(path.join(workspace, 'cmd', 'e2e'), { recursive: true });
    fs.writeFileSync(path.join(workspace, 'cmd', 'e2e', 'main.go'), 'package main\n\nfunc main() {}\n');
    await runCommand('Go macOS: Create Release Workflow');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'repository secrets' });
    await toast.waitFor({ timeout: 30_000 });
    assert.match(await toast.innerText(), /Create 5 repository secrets: MACOS_P12_BASE64, .*NOTARY_ISSUER/);
    const file = path.join(workspace, '.github', 'workflows', 'macos-release.yml');
    assert.ok(fs.existsSync(file), extensionLog());
    // The generated file is the active editor.
    await page.locator('.tab.active', { hasText: 'macos-release.yml' }).waitFor({ timeout: 15_000 });
    await shot('7-release-workflow');
    // Our language server lints workflows: the generated one has nothing to report.
    await page.keyboard.press('Control+Shift+M');
    await page.waitForTimeout(5_000);
    const rows = await problems(() => true);
    assert.ok(!rows.some((t) => t.includes('macos-release.yml')), rows.join('\n'));
    await shot('7-release-workflow-problems');
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
    // By its absolute path: cmd/tool/main.go also matches "main.go", and Quick Open may list it first.
    await openFile(path.join(workspace, 'main.go'));
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
    await openFile(path.join(workspace, 'main.go'));
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
    await openFile(path.join(workspace, 'main.go'));
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

/**
 * Signing on Linux from the editor (issue 12): no codesign or xcrun anywhere, so "Choose Signing Identity" offers a
 * .p12 file. The test PKI's Developer-ID-shaped identity (test/support/testPki.ts, made by openssl) is picked in VS
 * Code's own file dialog and its password typed into the password box: the path goes to the workspace settings, the
 * password to secret storage only. "Sign…" then runs the sign task, whose builtin signer gets the password from secret
 * storage through its environment and a secure timestamp from a local authority (real `openssl ts -reply`). The
 * signed Go binary is judged by independent readers: sigcheck.py (page hashes, team id, flags) and openssl (the CMS
 * over the CodeDirectory the file holds, anchored at the test root; the signer certificate it carries).
 */
describe('Choose Signing Identity… with a .p12 file, then Sign… with the builtin signer on Linux (issue 12)', () => {
  const pki = testPki();
  let tsa: Tsa;
  let p12Workspace: string;
  let p12File: string;
  let binary: string;
  let userData: string;
  let server: ChildProcess;
  let p12Page: Page;

  /**
   * Runs the palette command whose row reads exactly `title`, clicked: Enter would take the first row, which may be
   * another command whose title holds the same words ("Release (Build, Sign, Notarize)…" for "Sign…").
   */
  async function paletteCommand(title: string): Promise<void> {
    await page.keyboard.press('Control+Shift+P');
    await quickInputWith('');
    await page.keyboard.type(title);
    const rows = page.locator('.quick-input-list .monaco-list-row');
    await rows.filter({ hasText: title }).first().waitFor({ timeout: 15_000 });
    const texts = await rows.allInnerTexts();
    const index = texts.findIndex((t) => t.split('\n')[0].trim() === title);
    assert.ok(index >= 0, texts.join('\n'));
    await rows.nth(index).click();
  }

  /** Every file under `dir` that holds `needle`. */
  function filesHolding(dir: string, needle: string): string[] {
    const found: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const full = path.join(d, e.name);
        if (e.isDirectory()) walk(full);
        else if (e.isFile() && fs.readFileSync(full).includes(needle)) found.push(full);
      }
    };
    walk(dir);
    return found;
  }

  before(async () => {
    tsa = await startTsa();
    p12Workspace = path.join(tempDir('gms-e2e-p12-'), 'project');
    fs.cpSync(path.join(REPO, 'test', 'e2e', 'workspace'), p12Workspace, { recursive: true });
    // The program is called hello: "Sign…" from the palette signs dist/hello, the build's artifact.
    const settingsFile = path.join(p12Workspace, '.vscode', 'settings.json');
    const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(settingsFile, JSON.stringify({ ...settings, 'goMacosSign.build.name': 'hello' }, null, 2));
    binary = buildGo('arm64', path.join(p12Workspace, 'dist'), { name: 'hello' });
    // The identity lives where people keep keys: outside the repository.
    p12File = path.join(tempDir('gms-e2e-keys-'), 'developer-id.p12');
    fs.copyFileSync(pki.developerId.p12, p12File);
    fs.chmodSync(p12File, 0o600);
    for (const tool of ['codesign', 'xcrun'])
      assert.notEqual(spawnSync('sh', ['-c', `command -v ${tool}`]).status, 0, `${tool} is on PATH`);

    userData = tempDir('gms-e2e-user-');
    const url = await startCodeServer(p12Workspace, {
      trust: true,
      extraEnv: { GO_MACOS_SIGN_TSA_URL: tsa.url },
      userData,
      // The terminal drawn as text, so that the test can read what the sign task printed.
      userSettings: { 'terminal.integrated.gpuAcceleration': 'off' },
    });
    server = started[started.length - 1];
    p12Page = await open(url);
  });

  after(async () => {
    await closePage(p12Page);
    await tsa?.stop();
    try {
      process.kill(-server.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
  });

  it('the picker takes a .p12 (password into secret storage), and Sign… signs with it: team id and signer checked by sigcheck.py and openssl', async () => {
    const previous = page;
    page = p12Page;
    try {
      // Our contributions are in once the activity bar shows the macOS Signing view.
      await page.locator('.activitybar .action-item a[aria-label^="macOS Signing"]').waitFor({ timeout: 60_000 });
      const password = pki.password;
      await paletteCommand('Go macOS: Choose Signing Identity');
      await quickInputWith('Sign with which identity?');
      // Off a Mac the keychain is not offered: a .p12 file, or a keychain name typed for a Mac elsewhere.
      const offered = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
      assert.ok(
        offered.some((r) => r.includes('Use a .p12 file')),
        offered.join('\n'),
      );
      await shot('10-identity-pick');
      const input = await pickP12File(p12File);
      assert.equal(await input.inputValue(), p12File);
      await shot('10-identity-p12-file');
      await page.keyboard.press('Enter');

      await quickInputWith('Password of');
      assert.equal(await input.getAttribute('type'), 'password');
      await page.keyboard.type(password);
      await shot('10-identity-p12-password');
      await page.keyboard.press('Enter');

      // The workspace settings name the file, never its password.
      const settingsFile = path.join(p12Workspace, '.vscode', 'settings.json');
      const until = Date.now() + 30_000;
      let written = '';
      while (Date.now() < until && !written.includes('goMacosSign.signing.p12')) {
        await page.waitForTimeout(500);
        written = fs.readFileSync(settingsFile, 'utf8');
      }
      const saved = JSON.parse(written) as Record<string, unknown>;
      assert.equal(saved['goMacosSign.signing.p12'], p12File, `${written}\n--- extension log ---\n${extensionLog()}`);
      assert.ok(!written.includes(password), 'the password is in settings.json');

      // Sign… from the palette: the sign task, with the builtin signer (no codesign here) and the stored password.
      await paletteCommand('Go macOS: Sign…');
      // Signed once sigcheck.py reads the test team id in the file (the signer renames its result into place).
      let signed: { team: string | null; identifier: string; flags: number }[] = [];
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        const check = spawnSync('python3', [SIGCHECK, binary], { ...CHILD_LIMIT, encoding: 'utf8' });
        signed = (JSON.parse(check.stdout || '{"slices":[]}') as { slices: typeof signed }).slices;
        if (signed.length && signed.every((s) => s.team === TEST_TEAM)) break;
        await page.waitForTimeout(1_000);
      }
      // The terminal's rows as one text: a long line wraps onto several rows.
      const terminalText = async () =>
        (await page.locator('.terminal-wrapper .xterm-rows').allInnerTexts()).join('').replace(/\n/g, '');
      assert.deepEqual(
        signed.map((s) => s.team),
        [TEST_TEAM],
        `not signed with the test identity\n${await terminalText()}\n--- extension log ---\n${extensionLog()}`,
      );
      // The task's terminal says what it did, with the builtin signer's summary.
      const said = new RegExp(
        `signed \\S*dist/hello \\(Developer ID Application: Test Org \\(${TEST_TEAM}\\), hardened runtime, secure timestamp\\)`,
      );
      let text = '';
      for (const until = Date.now() + 15_000; Date.now() < until && !said.test(text);) {
        await page.waitForTimeout(500);
        text = await terminalText();
      }
      assert.match(text, said);
      // The password shows nowhere on screen.
      assert.ok(!(await page.locator('body').innerText()).includes(password), 'the password is on screen');
      await shot('10-signed-with-p12');

      // The independent reader: every page hash and special slot, the file name as identifier (codesign's default),
      // the hardened runtime flag (0x10000); and openssl: the CMS over exactly the CodeDirectory the file holds,
      // anchored at the test root, carries the test certificate as its signer.
      const dump = tempDir();
      const check = spawnSync('python3', [SIGCHECK, binary, '--dump', dump], { ...CHILD_LIMIT, encoding: 'utf8' });
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.equal(signed[0].identifier, 'hello');
      assert.ok(signed[0].flags & 0x10000, 'the hardened runtime');
      const cms = fs.readFileSync(path.join(dump, 'slice0-cms.der'));
      const verified = opensslCmsVerify(cms, fs.readFileSync(path.join(dump, 'slice0-cd.bin')), pki.root.cert);
      assert.ok(verified.ok, verified.out);
      const certs = spawnSync(
        'openssl',
        ['pkcs7', '-inform', 'DER', '-in', path.join(dump, 'slice0-cms.der'), '-print_certs', '-noout'],
        { ...CHILD_LIMIT, encoding: 'utf8' },
      );
      assert.match(certs.stdout, new RegExp(`subject=.*CN ?= ?${pki.developerId.commonName.replace(/[()]/g, '\\$&')}`));
      // A secure timestamp, from the local authority the task's environment names.
      assert.ok(tsa.requests.length > 0, 'no time-stamp request');
      // Our own verifier agrees (a test chain: valid, but not Apple's).
      const verify = await runCliAsync(['verify', binary]);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);

      // The password is in no file of the workspace and in no log of VS Code's (ours included).
      assert.deepEqual(filesHolding(p12Workspace, password), []);
      assert.deepEqual(filesHolding(path.join(userData, 'logs'), password), []);
    } finally {
      page = previous;
    }
  });

  it('a wrong .p12 password saves nothing; the sign task runs in its own terminal (secrets stay out of what VS Code keeps): its output, its exit code, and a problem matcher on it', async () => {
    const previous = page;
    page = p12Page;
    const original = fs.readFileSync(binary);
    try {
      const settingsFile = path.join(p12Workspace, '.vscode', 'settings.json');
      const before = fs.readFileSync(settingsFile, 'utf8');
      // The picker opens the .p12 with the password before it saves anything.
      await paletteCommand('Go macOS: Choose Signing Identity');
      await quickInputWith('Sign with which identity?');
      await pickP12File(p12File);
      await page.keyboard.press('Enter');
      await quickInputWith('Password of');
      await page.keyboard.type('not-the-password');
      await page.keyboard.press('Enter');
      const refused = page.locator('.notifications-toasts .notification-toast', { hasText: 'Nothing saved' });
      await refused.waitFor({ timeout: 60_000 });
      assert.match(await refused.innerText(), /the password does not open \S*developer-id\.p12/);
      await shot('11-wrong-p12-password');
      assert.equal(fs.readFileSync(settingsFile, 'utf8'), before);

      // A sign that fails: dist/hello is no longer a program. The task's terminal (ours: a CustomExecution, since the
      // task carries the .p12 password) echoes the command, prints the CLI's error and reports its exit code, 2. The
      // signer opened the .p12 with the password saved first: the wrong one was not stored.
      fs.writeFileSync(binary, 'not a program\n');
      await paletteCommand('Terminal: Kill All Terminals');
      await paletteCommand('Go macOS: Sign…');
      const terminalText = async () =>
        (await page.locator('.terminal-wrapper .xterm-rows').allInnerTexts()).join('').replace(/\n/g, '');
      let text = '';
      for (const until = Date.now() + 60_000; Date.now() < until && !/exit code: 2/.test(text);) {
        await page.waitForTimeout(500);
        text = await terminalText();
      }
      await shot('11-sign-task-exit-code');
      assert.match(
        text,
        /> go-macos-sign sign --p12 \S*developer-id\.p12/,
        `${text}\n--- extension log ---\n${extensionLog()}`,
      );
      assert.match(text, /go-macos-sign: \S*dist\/hello: not a Mach-O file/);
      // VS Code words a task that ends within moments of its start "failed to launch (exit code: 2)", a slower one
      // "terminated with exit code: 2": either way the exit code it reports is the CLI's.
      assert.match(text, /(terminated with |failed to launch \()exit code: 2/);

      // A problem matcher reads that terminal's text, as it reads a process task's: the sign task customized in
      // tasks.json with a matcher for the CLI's error line puts it in the Problems panel.
      fs.writeFileSync(
        path.join(p12Workspace, '.vscode', 'tasks.json'),
        JSON.stringify(
          {
            version: '2.0.0',
            tasks: [
              {
                type: 'go-macos-sign',
                step: 'sign',
                label: 'e2e sign with a matcher',
                problemMatcher: {
                  owner: 'e2e-sign',
                  source: 'e2e-sign',
                  fileLocation: 'absolute',
                  pattern: { regexp: '^go-macos-sign: (.+): (not a Mach-O file)$', kind: 'file', file: 1, message: 2 },
                },
              },
            ],
          },
          null,
          2,
        ),
      );
      await page.waitForTimeout(2_000);
      await paletteCommand('Terminal: Kill All Terminals');
      await paletteCommand('Tasks: Run Task');
      await quickInputWith('');
      await page.keyboard.type('e2e sign with a matcher');
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'e2e sign with a matcher' }).first();
      await row.waitFor({ timeout: 30_000 });
      await row.click();
      // The Problems tab, clicked: Ctrl+Shift+M would go to the focused terminal.
      await page.locator('.part.panel .composite-bar .action-item', { hasText: 'Problems' }).first().click();
      const rows = await problems((r) => r.some((t) => t.includes('not a Mach-O file')), 60_000);
      await shot('11-matcher-on-custom-execution');
      // Nothing else reports this file (the Problems panel was empty after the Sign… run above): the matcher did.
      assert.ok(
        rows.some((t) => t.includes('not a Mach-O file')),
        `${rows.join('\n')}\n--- terminal ---\n${await terminalText()}\n--- extension log ---\n${extensionLog()}`,
      );
      assert.ok(!(await page.locator('body').innerText()).includes(pki.password), 'the password is on screen');
    } finally {
      fs.writeFileSync(binary, original);
      page = previous;
    }
  });
});
