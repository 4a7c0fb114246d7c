/**
 * The builtin stapler and the .dmg / .pkg readers, on artifacts made by independent writers: a UDIF disk image written
 * and ad-hoc signed by test/support/make_udif.py (checked by dmg2img), flat packages written by libarchive's bsdtar
 * and by test/support/make_xar.py (sha256, an RSA signature with an openssl certificate), and the real
 * terminal-notifier.app, signed ad hoc by the builtin signer. Each is stapled and read back; the ticket comes from the
 * strict lookup stand-in. Hostile images and archives are one-line input errors.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { InputError } from '../../server/src/errors';
import { readAppBundle } from '../../server/src/bundle/app';
import { dmgSummary, readDmg, verifyDmgSignature } from '../../server/src/bundle/dmg';
import { pkgSummary, readPkg } from '../../server/src/bundle/pkg';
import { CannotStaple, readStapledTicket } from '../../server/src/bundle/stapledTicket';
import { clearTicketCache } from '../../server/src/notary/ticketLookup';
import { stapleApp, stapleBuiltin, stapleDmg, staplePkg, stapleQuery } from '../../server/src/notary/staple';
import { signArtifact } from '../../server/src/sign';
import { opensslCertificate } from '../support/testPki';
import { CHILD_LIMIT } from '../support/bounds';
import { fakeTicket, startTicketServer, TicketServer } from '../support/ticketServer';
import { findTool, npmPackage, REPO, tempDir } from '../support/tools';

const SUPPORT = path.join(REPO, 'test', 'support');
const dmg2img = () => findTool(['dmg2img'], 'dmg2img');
const bsdtar = () => findTool(['bsdtar'], 'bsdtar (libarchive)');
const sh = (cmd: string, args: string[], cwd?: string) =>
  execFileSync(cmd, args, { ...CHILD_LIMIT, encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'pipe'] });

function makeDmg(file: string, ...args: string[]) {
  return JSON.parse(sh('python3', [path.join(SUPPORT, 'make_udif.py'), file, ...args])) as {
    plistOffset: number;
    plistLength: number;
    cdhash: string;
    digestType: number;
    signatureOffset: number;
    signatureSize: number;
  };
}

function makeXar(file: string, ...args: string[]) {
  return JSON.parse(sh('python3', [path.join(SUPPORT, 'make_xar.py'), file, ...args])) as {
    checksum: string;
    files: string[];
  };
}

/** The koly trailer's code-signature fields, read by python (big-endian u64 at 296 and 304 of the last 512 bytes). */
function kolySignatureFields(file: string): [number, number] {
  return JSON.parse(
    sh('python3', [
      '-c',
      'import struct,sys,json; d=open(sys.argv[1],"rb").read()[-512:]; assert d[:4]==b"koly"; print(json.dumps(struct.unpack_from(">QQ", d, 296)))',
      file,
    ]),
  ) as [number, number];
}

/** One line, an InputError (what the CLI prints without a stack trace). */
async function refuses(action: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(action, (error: unknown) => {
    assert.ok(error instanceof InputError, `not an InputError: ${String(error)}`);
    assert.ok(!error.message.includes('\n'), error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

let server: TicketServer;
const tickets = new Map<string, Buffer | 'deleted'>();
before(async () => {
  server = await startTicketServer(tickets);
});
after(() => server.close());

describe('.dmg: read, verify, staple', () => {
  const dir = tempDir('gms-dmg-');

  it('reads the koly trailer and the signature make_udif.py wrote (dmg2img decodes the image)', async () => {
    const file = path.join(dir, 'signed.dmg');
    const made = makeDmg(file, '--sign', 'com.example.disk');
    sh(dmg2img(), ['-s', file, path.join(dir, 'signed.img')]);
    assert.equal(fs.statSync(path.join(dir, 'signed.img')).size, 8 * 512);
    const info = await readDmg(file);
    assert.deepEqual(info.koly.plist, { offset: made.plistOffset, length: made.plistLength });
    assert.deepEqual(info.koly.codeSignature, { offset: made.signatureOffset, size: made.signatureSize });
    assert.equal(info.koly.sectorCount, 8);
    assert.deepEqual(info.ticketQuery, { digestType: 2, cdhash: made.cdhash });
    assert.equal(info.signature?.codeDirectories[0].identifier, 'com.example.disk');
    assert.equal(info.stapledTicket, null);
    assert.deepEqual((await verifyDmgSignature(file)).problems, []);
  });

  it('staples into slot 0x10002: the signature stays valid, the trailer is updated, the ticket reads back', async () => {
    const file = path.join(dir, 'staple.dmg');
    const made = makeDmg(file, '--sign', 'com.example.disk');
    const before = fs.readFileSync(file);
    const ticket = fakeTicket('dmg ticket');
    await stapleDmg(file, ticket);
    const after = fs.readFileSync(file);
    assert.ok(after.subarray(0, made.signatureOffset).equals(before.subarray(0, made.signatureOffset)));
    const [offset, size] = kolySignatureFields(file);
    assert.equal(offset, made.signatureOffset);
    assert.equal(size, made.signatureSize + 8 + 8 + ticket.length); // an index entry, the BlobWrapper header, the ticket
    assert.equal(after.length, offset + size + 512);
    assert.deepEqual(await readStapledTicket(file), { kind: 'dmg', ticket });
    assert.deepEqual((await verifyDmgSignature(file)).problems, []);
    const info = await readDmg(file);
    assert.deepEqual(info.signature?.slots, [0, 2, 0x10000, 0x10002]);
    const summary = dmgSummary(info);
    assert.deepEqual(summary.signature?.slots, ['0x0', '0x2', '0x10000', '0x10002']);
    assert.equal(summary.signature?.codeDirectories[0].version, '0x20100');
    assert.equal(summary.ticketRecord, `2/2/${made.cdhash}`);
    assert.equal(summary.stapledTicket, true);
    sh(dmg2img(), ['-s', file, path.join(dir, 'staple.img')]);

    const second = fakeTicket('a newer ticket, longer than the first');
    await stapleDmg(file, second);
    assert.deepEqual(await readStapledTicket(file), { kind: 'dmg', ticket: second });
    assert.deepEqual((await readDmg(file)).signature?.slots, [0, 2, 0x10000, 0x10002]);
    assert.deepEqual((await verifyDmgSignature(file)).problems, []);
  });

  it('a SHA-1 signed image is looked up by digest type 1', async () => {
    const file = path.join(dir, 'sha1.dmg');
    const made = makeDmg(file, '--sign', 'x', '--hash', 'sha1');
    assert.deepEqual((await readDmg(file)).ticketQuery, { digestType: 1, cdhash: made.cdhash });
  });

  it('stapleBuiltin asks the stand-in for the image cdhash and staples what it answers', async () => {
    clearTicketCache();
    const file = path.join(dir, 'builtin.dmg');
    const made = makeDmg(file, '--sign', 'com.example.builtin');
    const url = server.url;
    const missing = await stapleBuiltin(file, { url });
    assert.equal(missing.stapled, false);
    assert.match(missing.message, /has no ticket for 2\/2\/[0-9a-f]{40}/);
    clearTicketCache();
    const ticket = fakeTicket('builtin');
    tickets.set(`2/2/${made.cdhash}`, ticket);
    assert.deepEqual(await stapleBuiltin(file, { url }), { stapled: true, message: `${file}: ticket stapled` });
    assert.deepEqual(server.requests.slice(-1), [[`2/2/${made.cdhash}`]]);
    assert.deepEqual((await readStapledTicket(file)).ticket, ticket);
    clearTicketCache();
    tickets.set(`2/2/${made.cdhash}`, 'deleted');
    const withdrawn = await stapleBuiltin(file, { url });
    assert.equal(withdrawn.stapled, false);
    assert.match(withdrawn.message, /withdrew/);
  });

  it('an unsigned image cannot carry a ticket', async () => {
    const file = path.join(dir, 'unsigned.dmg');
    makeDmg(file);
    assert.equal((await readDmg(file)).signature, null);
    await refuses(() => stapleDmg(file, fakeTicket('x')), /not signed/);
    await refuses(() => stapleQuery(file), /not signed/);
  });

  it('hostile images: one-line input errors', async () => {
    const good = path.join(dir, 'good.dmg');
    makeDmg(good, '--sign', 'x');
    const bytes = fs.readFileSync(good);
    const koly = bytes.length - 512;
    const variant = (name: string, edit: (b: Buffer) => Buffer) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, edit(Buffer.from(bytes)));
      return file;
    };
    const at = (offset: number, value: bigint) => (b: Buffer) => (b.writeBigUInt64BE(value, koly + offset), b);
    await refuses(() => readDmg(variant('short.dmg', (b) => b.subarray(0, 100))), /shorter than a koly trailer/);
    await refuses(() => readDmg(variant('magic.dmg', (b) => (b.write('kolx', koly), b))), /no UDIF "koly" trailer/);
    await refuses(() => readDmg(variant('plist.dmg', at(216, 1n << 40n))), /plist .* runs past the end/);
    await refuses(() => readDmg(variant('huge.dmg', at(224, 0xffffffffffffffffn))), /out of range/);
    await refuses(() => readDmg(variant('sigsize.dmg', at(304, 1n << 30n))), /code signature .* runs past the end/);
    await refuses(
      () => readDmg(variant('sigjunk.dmg', (b) => (b.fill(0x41, bytes.readUInt32BE(koly + 300), koly), b))),
      /code signature is malformed/,
    );
    await refuses(() => readDmg(variant('truncated.dmg', (b) => b.subarray(200))), /runs past the end/);
    await refuses(
      () =>
        stapleDmg(
          // The plist claimed to run over the signature: rewriting after the signature's offset would cut it.
          variant('inside.dmg', at(224, BigInt(bytes.length - 512 - bytes.readUInt32BE(koly + 220)))),
          fakeTicket('x'),
        ),
      /signature lies inside its data or plist/,
    );
    // Modified after signing: readable, and verification says what changed.
    const modified = variant('modified.dmg', (b) => ((b[10] ^= 1), b));
    assert.deepEqual((await verifyDmgSignature(modified)).problems, [
      "the sha256 CodeDirectory: the image's bytes do not match the signed hash (modified after signing)",
    ]);
  });
});

describe('.pkg: read, staple', () => {
  const dir = tempDir('gms-pkg-');
  const files = ['Distribution', 'Payload'];
  before(() => {
    fs.writeFileSync(path.join(dir, 'Distribution'), '<?xml version="1.0"?><installer-gui-script/>\n');
    fs.writeFileSync(path.join(dir, 'Payload'), Buffer.alloc(3000, 7));
  });

  it('reads an archive libarchive wrote: TOC, SHA-1 checksum, files', async () => {
    const file = path.join(dir, 'bsdtar.pkg');
    sh(bsdtar(), ['--format', 'xar', '-cf', file, ...files], dir);
    const listed = sh(bsdtar(), ['-tf', file]).trim().split('\n');
    const info = await readPkg(file);
    assert.deepEqual(info.files, listed);
    assert.equal(info.checksum.style, 'sha1');
    const compressed = fs.readFileSync(file).subarray(28, 28 + info.tocCompressedLength);
    assert.equal(
      info.checksum.value,
      execFileSync('openssl', ['dgst', '-sha1', '-r'], { input: compressed, ...CHILD_LIMIT, encoding: 'utf8' }).split(
        ' ',
      )[0],
    );
    assert.deepEqual(info.ticketQuery, { digestType: 1, cdhash: info.checksum.value });
    assert.deepEqual(info.signatures, []);
  });

  it('reads a SHA-256 archive with an RSA signature and lists its certificate', async () => {
    // A self-signed installer certificate (testPki's openssl helper), as DER for make_xar.py.
    const { der, key } = opensslCertificate(dir, 'installer', '/CN=Test Installer/OU=TEAM123456');
    const cert = path.join(dir, 'installer.der');
    fs.writeFileSync(cert, der);
    const file = path.join(dir, 'signed.pkg');
    const made = makeXar(
      file,
      '--checksum',
      'sha256',
      '--cert',
      cert,
      '--key',
      key,
      ...files.map((f) => path.join(dir, f)),
    );
    const info = await readPkg(file);
    assert.deepEqual(info.checksum, { style: 'sha256', value: made.checksum });
    assert.deepEqual(info.ticketQuery, { digestType: 2, cdhash: made.checksum.slice(0, 40) });
    assert.equal(pkgSummary(info).ticketRecord, `2/2/${made.checksum.slice(0, 40)}`);
    assert.deepEqual(info.files, made.files);
    assert.equal(info.signatures.length, 1);
    assert.equal(info.signatures[0].style, 'RSA');
    const subject = sh('openssl', [
      'x509',
      '-inform',
      'DER',
      '-in',
      cert,
      '-noout',
      '-subject',
      '-nameopt',
      'multiline',
    ]);
    assert.match(subject, /commonName\s+= Test Installer/);
    assert.equal(info.signatures[0].certificates[0].commonName, 'Test Installer');
  });

  it('staples the t8lr trailer; libarchive still reads the archive; a second staple replaces the first', async () => {
    const file = path.join(dir, 'staple.pkg');
    sh(bsdtar(), ['--format', 'xar', '-cf', file, ...files], dir);
    const original = fs.readFileSync(file);
    const ticket = fakeTicket('pkg ticket');
    await staplePkg(file, ticket);
    const stapled = fs.readFileSync(file);
    assert.ok(stapled.subarray(0, original.length).equals(original));
    const tail = stapled.subarray(original.length);
    // Independent reading of the trailer: little-endian magic, version 1, type 1 (terminator) / 2 (ticket), length.
    const fields = JSON.parse(
      execFileSync(
        'python3',
        [
          '-c',
          'import struct,sys,json; d=sys.stdin.buffer.read(); print(json.dumps([struct.unpack_from("<4sHHII", d, 0)[:4], struct.unpack_from("<4sHHII", d, len(d)-16)[:4]], default=lambda b: b.decode()))',
        ],
        { input: tail, ...CHILD_LIMIT, encoding: 'utf8' },
      ),
    );
    assert.deepEqual(fields, [
      ['t8lr', 1, 1, 0],
      ['t8lr', 1, 2, ticket.length],
    ]);
    assert.ok(tail.subarray(16, 16 + ticket.length).equals(ticket));
    assert.deepEqual(await readStapledTicket(file), { kind: 'pkg', ticket });
    assert.deepEqual(sh(bsdtar(), ['-tf', file]).trim().split('\n'), files);
    const second = fakeTicket('second');
    await staplePkg(file, second);
    assert.equal(fs.statSync(file).size, original.length + 32 + second.length);
    assert.deepEqual((await readStapledTicket(file)).ticket, second);
  });

  it('hostile archives: zip-bomb TOC, truncation, bad checksum, bad trailer are one-line input errors', async () => {
    const good = path.join(dir, 'good.pkg');
    sh(bsdtar(), ['--format', 'xar', '-cf', good, ...files], dir);
    const bytes = fs.readFileSync(good);
    const variant = (name: string, content: Buffer) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      return file;
    };
    const header = (compressedLength: number, length: bigint) => {
      const h = Buffer.from(bytes.subarray(0, 28));
      h.writeBigUInt64BE(BigInt(compressedLength), 8);
      h.writeBigUInt64BE(length, 16);
      return h;
    };
    // A TOC that claims a gigabyte, and one that claims little but inflates to 64 MB of zeros.
    await refuses(
      () => readPkg(variant('claims.pkg', Buffer.concat([header(100, 1n << 30n), Buffer.alloc(100)]))),
      /refused/,
    );
    const bomb = zlib.deflateSync(Buffer.alloc(64 * 1024 * 1024));
    await refuses(
      () => readPkg(variant('bomb.pkg', Buffer.concat([header(bomb.length, 4096n), bomb, Buffer.alloc(20)]))),
      /does not inflate to its declared 4096 bytes/,
    );
    await refuses(
      () => readPkg(variant('huge.pkg', Buffer.concat([header(100, 0xffffffffffffffffn), Buffer.alloc(100)]))),
      /out of range/,
    );
    await refuses(() => readPkg(variant('truncated.pkg', bytes.subarray(0, 60))), /truncated xar archive/);
    await refuses(() => readPkg(variant('short.pkg', bytes.subarray(0, 10))), /shorter than its header/);
    const garbled = Buffer.from(bytes);
    garbled[40] ^= 0xff;
    await refuses(() => readPkg(variant('garbled.pkg', garbled)), /does not inflate|checksum|not xar XML/);
    const tocLength = Number(bytes.readBigUInt64BE(8));
    const badSum = Buffer.from(bytes);
    badSum[28 + tocLength] ^= 1;
    await refuses(() => readPkg(variant('badsum.pkg', badSum)), /does not match its sha1 checksum/);
    const trailer = Buffer.alloc(16);
    trailer.write('t8lr', 0, 'latin1');
    trailer.writeUInt16LE(1, 4);
    trailer.writeUInt16LE(2, 6);
    trailer.writeUInt32LE(0xfffffff0, 8);
    await refuses(() => readPkg(variant('trailer.pkg', Buffer.concat([bytes, trailer]))), /do not fit the file/);
  });
});

describe('.app: staple the real terminal-notifier.app', () => {
  const dir = tempDir('gms-app-');
  const app = path.join(dir, 'terminal-notifier.app');
  before(() => {
    const source = path.join(npmPackage('node-notifier@10.0.1'), 'vendor', 'mac.noindex', 'terminal-notifier.app');
    fs.cpSync(source, app, { recursive: true });
  });

  it('unsigned: nothing to look up; the ticket still goes to Contents/CodeResources and reads back', async () => {
    await refuses(() => stapleQuery(app), /not signed/);
    const ticket = fakeTicket('app');
    stapleApp(app, ticket);
    assert.ok(fs.readFileSync(path.join(app, 'Contents', 'CodeResources')).equals(ticket));
    assert.deepEqual(await readStapledTicket(app), { kind: 'app', ticket });
    assert.equal(readAppBundle(app).report.stapledTicket, true);
    assert.deepEqual(
      fs.readdirSync(path.join(app, 'Contents')).filter((n) => n.includes('staple')),
      [],
      'no temporary file left',
    );
  });

  it('signed ad hoc: stapleBuiltin looks up the main executable cdhash (sigcheck.py) and staples it', async () => {
    await signArtifact(app, { identity: null, runtime: true, timestampUrl: null });
    const executable = path.join(app, 'Contents', 'MacOS', 'terminal-notifier');
    const checked = JSON.parse(sh('python3', [path.join(SUPPORT, 'sigcheck.py'), executable])) as {
      slices: { cdhashes: Record<string, string> }[];
    };
    const cdhash = checked.slices[0].cdhashes.sha256.slice(0, 40);
    assert.deepEqual(await stapleQuery(app), { kind: 'app', query: { digestType: 2, cdhash } });
    clearTicketCache();
    const ticket = fakeTicket('signed app');
    tickets.set(`2/2/${cdhash}`, ticket);
    assert.equal((await stapleBuiltin(app, { url: server.url })).stapled, true);
    assert.deepEqual(await readStapledTicket(app), { kind: 'app', ticket });
  });
});

describe('what cannot carry a ticket', () => {
  const dir = tempDir('gms-cannot-');
  it('a bare Mach-O and a zip: CannotStaple with the explanation', async () => {
    const macho = path.join(dir, 'tool');
    fs.writeFileSync(macho, Buffer.concat([Buffer.from([0xcf, 0xfa, 0xed, 0xfe]), Buffer.alloc(60)]));
    const zip = path.join(dir, 'tool.zip');
    sh('python3', ['-c', 'import zipfile,sys; zipfile.ZipFile(sys.argv[1], "w").writestr("a", "b")', zip]);
    await assert.rejects(
      () => readStapledTicket(macho),
      (e: unknown) => e instanceof CannotStaple && /a bare binary cannot carry a stapled ticket/.test(e.message),
    );
    await assert.rejects(
      () => stapleBuiltin(zip, { url: server.url }),
      (e: unknown) => e instanceof CannotStaple && e.content === 'zip',
    );
  });
  it('refuses bytes that are not a ticket', async () => {
    const file = path.join(dir, 'x.dmg');
    makeDmg(file, '--sign', 'x');
    await refuses(() => stapleDmg(file, Buffer.from('<html>not a ticket</html>')), /not a notarization ticket/);
  });
});
