/**
 * `go-macos-sign inspect --online` and the .dmg / .pkg readers, as users run them: the bundled CLI in a child process
 * against the strict ticket-lookup stand-in (test/support/ticketServer.ts, GO_MACOS_SIGN_TICKET_URL), on Go binaries
 * built here, the real @sentry/cli-darwin universal binary, the real terminal-notifier.app, and disk images and
 * packages written by the independent writers test/support/make_udif.py and make_xar.py.
 *
 * The cdhashes the stand-in must be asked about come from test/support/sigcheck.py (Mach-O) and from the writers'
 * own output (.dmg: the CodeDirectory hash they computed; .pkg: the TOC checksum, recomputed here by openssl), never
 * from go-macos-sign's output.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { InspectReport } from '../../server/src/protocol';
import { signArtifact } from '../../server/src/sign';
import { opensslCertificate } from '../support/testPki';
import { CHILD_LIMIT } from '../support/bounds';
import { deadUrl, fakeTicket, startTicketServer, TicketServer } from '../support/ticketServer';
import { buildGo, npmPackage, REPO, runCliAsync, tempDir } from '../support/tools';

const SUPPORT = path.join(REPO, 'test', 'support');
const dir = tempDir('gms-online-');
const sh = (cmd: string, args: string[], input?: Buffer) =>
  execFileSync(cmd, args, { ...CHILD_LIMIT, encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });

/** The SHA-256 cdhash of every slice, by the independent checker. */
function sliceCdhashes(file: string): string[] {
  const checked = JSON.parse(sh('python3', [path.join(SUPPORT, 'sigcheck.py'), file])) as {
    slices: { cdhashes: Record<string, string> }[];
  };
  return checked.slices.map((s) => s.cdhashes.sha256.slice(0, 40));
}

function makeDmg(file: string, ...args: string[]): { cdhash: string; digestType: number } {
  return JSON.parse(sh('python3', [path.join(SUPPORT, 'make_udif.py'), file, ...args])) as {
    cdhash: string;
    digestType: number;
  };
}

/** A flat package by make_xar.py; its record is the SHA-1 of the compressed TOC, as openssl computes it. */
function makePkg(file: string): string {
  const payload = path.join(dir, 'Payload');
  fs.writeFileSync(payload, Buffer.alloc(2000, 3));
  sh('python3', [path.join(SUPPORT, 'make_xar.py'), file, payload]);
  const bytes = fs.readFileSync(file);
  const toc = bytes.subarray(28, 28 + Number(bytes.readBigUInt64BE(8)));
  return sh('openssl', ['dgst', '-sha1', '-r'], toc).split(' ')[0];
}

async function inspect(url: string, ...args: string[]) {
  const r = await runCliAsync(['inspect', ...args], { GO_MACOS_SIGN_TICKET_URL: url });
  return { ...r, reports: args.includes('--json') && r.stdout ? (JSON.parse(r.stdout) as InspectReport[]) : [] };
}

const check = (report: InspectReport, id: string) => report.checks.find((c) => c.id === id);

let server: TicketServer;
const tickets = new Map<string, Buffer | 'deleted'>();
let arm64: string;
let armCdhash: string;
let sentry: string;
let sentryCdhashes: string[];

before(async () => {
  server = await startTicketServer(tickets);
  arm64 = buildGo('arm64', dir); // signed ad hoc by Go's linker: one SHA-256 CodeDirectory
  [armCdhash] = sliceCdhashes(arm64);
  sentry = path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli');
  sentryCdhashes = sliceCdhashes(sentry);
});
after(() => server.close());

describe('inspect --online on Mach-O files', () => {
  it('without --online nothing leaves the machine', async () => {
    const before = server.requests.length;
    const r = await inspect(server.url, '--json', arm64, sentry);
    assert.equal(server.requests.length, before, 'no request to the ticket service');
    assert.deepEqual(server.refused, []);
    for (const report of r.reports) {
      assert.equal(report.notarization, undefined);
      assert.equal(check(report, 'notarization/ticket'), undefined);
    }
  });

  it('the universal sentry-cli: one request with both slices; found when both have a ticket', async () => {
    assert.equal(sentryCdhashes.length, 2);
    for (const c of sentryCdhashes) tickets.set(`2/2/${c}`, fakeTicket(`sentry ${c}`));
    const before = server.requests.length;
    const r = await inspect(server.url, '--online', '--json', sentry);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(server.requests.slice(before), [sentryCdhashes.map((c) => `2/2/${c}`)]);
    const [report] = r.reports;
    assert.equal(report.notarization?.ticket, 'found');
    assert.deepEqual(report.notarization?.cdhashes, sentryCdhashes);
    assert.ok(!Number.isNaN(Date.parse(report.notarization!.checkedAt)));
    assert.match(report.notarization!.checkedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.deepEqual(
      report.notarization?.records.map((x) => [x.arch, x.status]),
      report.architectures.map((a) => [a.arch, 'found']),
    );
    assert.equal(check(report, 'notarization/ticket')?.status, 'pass');
    const text = await inspect(server.url, '--online', sentry);
    assert.match(text.stdout, /notarization\s+notarized \(ticket found\)/);
    assert.match(text.stdout, /pass\s+notarization\/ticket/);
    tickets.clear();
  });

  it('not found: a warning, "not notarized (no ticket)"; the exit code is what readiness says without --online', async () => {
    const offline = await inspect(server.url, '--json', arm64);
    const r = await inspect(server.url, '--online', '--json', arm64);
    assert.equal(r.code, offline.code);
    assert.deepEqual(server.requests.at(-1), [`2/2/${armCdhash}`]);
    const [report] = r.reports;
    assert.deepEqual(report.notarization && { ...report.notarization, checkedAt: '' }, {
      ticket: 'not-found',
      cdhashes: [armCdhash],
      checkedAt: '',
      records: [{ record: `2/2/${armCdhash}`, cdhash: armCdhash, arch: 'arm64', status: 'not-found' }],
    });
    assert.equal(check(report, 'notarization/ticket')?.status, 'warn');
    const text = await inspect(server.url, '--online', arm64);
    assert.match(text.stdout, /notarization\s+not notarized \(no ticket\)/);
  });

  it('a withdrawn (deleted) ticket is no ticket: not-found, and the check fails', async () => {
    const binary = buildGo('arm64', dir, { name: 'withdrawn', ldflags: '-X main.version=withdrawn' });
    const [cdhash] = sliceCdhashes(binary);
    tickets.set(`2/2/${cdhash}`, 'deleted');
    const r = await inspect(server.url, '--online', '--json', binary);
    assert.equal(r.code, 1);
    const [report] = r.reports;
    assert.equal(report.notarization?.ticket, 'not-found');
    assert.equal(report.notarization?.records[0].status, 'deleted');
    const c = check(report, 'notarization/ticket');
    assert.equal(c?.status, 'fail');
    assert.match(c!.message, /withdrew/);
    tickets.delete(`2/2/${cdhash}`);
  });

  it('offline (nothing listens, or the stand-in stopped): unknown, never an error, same exit code', async () => {
    const offline = await inspect(server.url, '--json', arm64, sentry);
    for (const url of [await deadUrl()]) {
      const r = await inspect(url, '--online', '--json', arm64, sentry);
      assert.equal(r.code, offline.code);
      assert.equal(r.stderr, '');
      for (const report of r.reports) {
        assert.equal(report.notarization?.ticket, 'unknown');
        assert.ok(report.notarization!.cdhashes.length > 0);
        assert.equal(check(report, 'notarization/ticket')?.status, 'n/a');
        assert.match(check(report, 'notarization/ticket')!.message, /could not be reached/);
      }
      const text = await inspect(url, '--online', arm64);
      assert.match(text.stdout, /notarization\s+unknown \(the ticket service could not be reached/);
    }
    const stopped = await startTicketServer(new Map());
    await stopped.close();
    const r = await inspect(stopped.url, '--online', '--json', arm64);
    assert.equal(r.code, offline.code);
    assert.equal(r.reports[0].notarization?.ticket, 'unknown');
  });

  it('refuses a plain-http ticket URL that is not loopback (one line, exit 2)', async () => {
    const r = await inspect('http://example.com/lookup', '--online', arm64);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^go-macos-sign: GO_MACOS_SIGN_TICKET_URL must be an https:\/\/ URL[^\n]*\n$/);
  });
});

describe('inspect on .dmg and .pkg, stapled and online', () => {
  let dmg: string;
  let dmgCdhash: string;
  let pkg: string;
  let pkgRecord: string;
  before(() => {
    dmg = path.join(dir, 'signed.dmg');
    const made = makeDmg(dmg, '--sign', 'com.example.online');
    assert.equal(made.digestType, 2);
    dmgCdhash = made.cdhash;
    pkg = path.join(dir, 'plain.pkg');
    pkgRecord = `2/1/${makePkg(pkg)}`;
  });

  it('reads the image and the package: signature, cdhash, checksum, no ticket stapled', async () => {
    const r = await inspect(server.url, '--json', dmg, pkg);
    assert.equal(r.code, 1, 'an unsigned package fails pkg/signature');
    const [image, pack] = r.reports;
    assert.equal(image.kind, 'dmg');
    assert.equal(image.diskImage?.signature?.codeDirectories[0].cdhash, dmgCdhash);
    assert.equal(image.diskImage?.signature?.signer, 'adhoc');
    assert.deepEqual(image.diskImage?.signature?.problems, []);
    assert.equal(image.diskImage?.ticketRecord, `2/2/${dmgCdhash}`);
    assert.equal(image.stapledTicket, false);
    assert.equal(check(image, 'dmg/signature')?.status, 'warn');
    assert.equal(pack.kind, 'pkg');
    assert.equal(pack.package?.ticketRecord, pkgRecord);
    assert.deepEqual(pack.package?.files, ['Payload']);
    assert.equal(pack.stapledTicket, false);
    assert.equal(check(pack, 'pkg/signature')?.status, 'fail');
    const text = await inspect(server.url, dmg, pkg);
    assert.match(text.stdout, /disk image\n/);
    assert.match(text.stdout, /cdhash [0-9a-f]{40}/);
    assert.match(text.stdout, /installer package\n/);
    assert.match(text.stdout, /stapled\s+no/);
  });

  it('a package signed with a certificate that does not chain to Apple fails pkg/signature, naming it', async () => {
    // A self-signed installer certificate (testPki's openssl helper), as DER for make_xar.py.
    const { der, key } = opensslCertificate(
      dir,
      'installer',
      '/CN=Developer ID Installer: Not Apple (TEAM123456)/OU=TEAM123456',
    );
    const cert = path.join(dir, 'installer.der');
    fs.writeFileSync(cert, der);
    const signed = path.join(dir, 'signed.pkg');
    const payload = path.join(dir, 'Payload');
    sh('python3', [
      path.join(SUPPORT, 'make_xar.py'),
      signed,
      '--checksum',
      'sha256',
      '--cert',
      cert,
      '--key',
      key,
      payload,
    ]);
    const r = await inspect(server.url, '--json', signed);
    const [report] = r.reports;
    assert.equal(report.package?.checksum.style, 'sha256');
    assert.equal(
      report.package?.signatures[0].certificates[0].commonName,
      'Developer ID Installer: Not Apple (TEAM123456)',
    );
    assert.equal(report.package?.signatures[0].chainToAppleRoot, false);
    const c = check(report, 'pkg/signature');
    assert.equal(c?.status, 'fail');
    assert.match(c!.message, /does not chain to Apple \(Developer ID Installer: Not Apple/);
  });

  it('verify: the image signature checked, an unsigned package refused', async () => {
    const unsigned = path.join(dir, 'verify-unsigned.dmg');
    makeDmg(unsigned);
    const good = await runCliAsync(['verify', dmg]);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /valid adhoc disk image signature/);
    const bytes = fs.readFileSync(dmg);
    bytes[100] ^= 1;
    const modified = path.join(dir, 'verify-modified.dmg');
    fs.writeFileSync(modified, bytes);
    for (const [file, pattern] of [
      [unsigned, /disk image not signed/],
      [modified, /INVALID: .*modified after signing/],
      [pkg, /installer package not signed/],
    ] as const) {
      const r = await runCliAsync(['verify', file]);
      assert.equal(r.code, 1, file);
      assert.match(r.stdout, pattern);
    }
  });

  it('an unsigned image and a package are found in a directory', async () => {
    const sub = path.join(dir, 'out');
    fs.mkdirSync(sub, { recursive: true });
    makeDmg(path.join(sub, 'unsigned.dmg'));
    fs.copyFileSync(pkg, path.join(sub, 'copy.pkg'));
    const r = await inspect(server.url, '--json', sub);
    assert.deepEqual(r.reports.map((x) => [path.basename(x.path), x.kind]).sort(), [
      ['copy.pkg', 'pkg'],
      ['unsigned.dmg', 'dmg'],
    ]);
    assert.equal(r.reports.find((x) => x.kind === 'dmg')?.diskImage?.signature, null);
  });

  it('stapled by the CLI, read back by inspect; one online request for the image, the package and a binary', async () => {
    const stapledDmg = path.join(dir, 'stapled.dmg');
    const stapledPkg = path.join(dir, 'stapled.pkg');
    fs.copyFileSync(dmg, stapledDmg);
    fs.copyFileSync(pkg, stapledPkg);
    tickets.set(`2/2/${dmgCdhash}`, fakeTicket('dmg'));
    tickets.set(pkgRecord, fakeTicket('pkg'));
    for (const file of [stapledDmg, stapledPkg]) {
      const s = await runCliAsync(['staple', '--via', 'builtin', file], { GO_MACOS_SIGN_TICKET_URL: server.url });
      assert.equal(s.code, 0, s.stdout + s.stderr);
    }
    const before = server.requests.length;
    const r = await inspect(server.url, '--online', '--json', stapledDmg, stapledPkg, arm64);
    assert.deepEqual(server.requests.slice(before), [[`2/2/${dmgCdhash}`, pkgRecord, `2/2/${armCdhash}`]]);
    const [image, pack, binary] = r.reports;
    assert.equal(image.stapledTicket, true);
    assert.ok(image.diskImage?.signature?.slots.includes('0x10002'));
    assert.deepEqual(image.diskImage?.signature?.problems, [], 'stapling keeps the signature valid');
    assert.equal(pack.stapledTicket, true);
    assert.equal(image.notarization?.ticket, 'found');
    assert.deepEqual(image.notarization?.cdhashes, [dmgCdhash]);
    assert.equal(pack.notarization?.ticket, 'found');
    assert.equal(binary.notarization?.ticket, 'not-found');
    assert.equal(binary.stapledTicket, undefined, 'a bare binary cannot carry a ticket');
    const text = await inspect(server.url, stapledDmg, stapledPkg);
    assert.match(text.stdout, /stapled\s+yes \(signature slot 0x10002\)/);
    assert.match(text.stdout, /stapled\s+yes \(t8lr trailer\)/);
  });

  it('the real terminal-notifier.app, signed ad hoc and stapled: stapled and found', async () => {
    const app = path.join(dir, 'terminal-notifier.app');
    fs.cpSync(path.join(npmPackage('node-notifier@10.0.1'), 'vendor', 'mac.noindex', 'terminal-notifier.app'), app, {
      recursive: true,
    });
    await signArtifact(app, { identity: null, runtime: true, timestampUrl: null });
    const cdhashes = sliceCdhashes(path.join(app, 'Contents', 'MacOS', 'terminal-notifier'));
    for (const c of cdhashes) tickets.set(`2/2/${c}`, fakeTicket(`app ${c}`));
    const s = await runCliAsync(['staple', '--via', 'builtin', app], { GO_MACOS_SIGN_TICKET_URL: server.url });
    assert.equal(s.code, 0, s.stdout + s.stderr);
    const r = await inspect(server.url, '--online', '--json', app);
    const [report] = r.reports;
    assert.equal(report.kind, 'app');
    assert.equal(report.stapledTicket, true);
    assert.equal(report.bundle?.stapledTicket, true);
    assert.equal(report.notarization?.ticket, 'found');
    assert.deepEqual(report.notarization?.cdhashes, cdhashes);
  });

  it('hostile images and packages: one line on stderr, exit 2, no stack', async () => {
    const bytes = fs.readFileSync(dmg);
    const koly = bytes.length - 512;
    const hugeSig = Buffer.from(bytes);
    hugeSig.writeBigUInt64BE(1n << 40n, koly + 304);
    const badOffset = Buffer.from(bytes);
    badOffset.writeBigUInt64BE(0xffffffffffffffffn, koly + 216);
    const pkgBytes = fs.readFileSync(pkg);
    const header = Buffer.from(pkgBytes.subarray(0, 28));
    const bomb = zlib.deflateSync(Buffer.alloc(64 * 1024 * 1024));
    header.writeBigUInt64BE(BigInt(bomb.length), 8);
    header.writeBigUInt64BE(4096n, 16);
    const claims = Buffer.from(pkgBytes.subarray(0, 28));
    claims.writeBigUInt64BE(100n, 8);
    claims.writeBigUInt64BE(1n << 40n, 16);
    const cases: [string, Buffer, RegExp][] = [
      ['huge-signature.dmg', hugeSig, /code signature .* runs past the end/],
      ['bad-offset.dmg', badOffset, /out of range/],
      ['bomb.pkg', Buffer.concat([header, bomb, Buffer.alloc(20)]), /does not inflate to its declared 4096 bytes/],
      ['claims.pkg', Buffer.concat([claims, Buffer.alloc(100)]), /refused/],
    ];
    for (const [name, content, pattern] of cases) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      const r = await inspect(server.url, '--online', '--json', file);
      assert.equal(r.code, 2, name);
      assert.deepEqual(r.reports, [], name);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `${name}: ${r.stderr}`);
      assert.match(lines[0], new RegExp(`^go-macos-sign: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
      assert.match(lines[0], pattern, name);
    }
  });
});
