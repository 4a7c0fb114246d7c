/**
 * The parts of a signature the builtin signer writes, each against an independent source: DER entitlements against
 * test/support/adhoc_sign.py's encoder (python) and our decoder, requirements against our decompiler and openssl's
 * SHA-1 fingerprints, and the signature-space estimate against what Apple's codesign allocated in a real binary.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../server/src/errors';
import { decodeDerEntitlements } from '../../server/src/macho/derEntitlements';
import { parseRequirements } from '../../server/src/macho/requirements';
import { plistEqual } from '../../server/src/plist';
import { codeDirectorySize } from '../../server/src/sign/codeDirectory';
import { encodeDerEntitlements, entitlementsBlobs, execSegmentFlags } from '../../server/src/sign/entitlements';
import { canonicalIdentifier } from '../../server/src/sign/file';
import { signatureSpace } from '../../server/src/sign/layout';
import { internalRequirements } from '../../server/src/sign/requirements';
import type { SigningIdentity } from '../../server/src/sign/types';
import { CHILD_LIMIT } from '../support/bounds';
import { objdumpFacts } from '../support/oracle';
import { npmPackage, REPO, tempDir } from '../support/tools';
import { opensslCertificate } from '../support/testPki';

const dir = tempDir('gms-sign-parts-');

/** adhoc_sign.py's DER entitlements of a plist file (its own python encoder, from plistlib's reading). */
function pythonDer(plist: string): Buffer {
  const code = `import sys; sys.path.insert(0, ${JSON.stringify(path.join(REPO, 'test', 'support'))}); import adhoc_sign; sys.stdout.buffer.write(adhoc_sign.der_entitlements(sys.argv[1]))`;
  return execFileSync('python3', ['-c', code, plist], { ...CHILD_LIMIT });
}

const ENTITLEMENTS = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>com.apple.security.cs.allow-jit</key><true/>
  <key>com.apple.security.app-sandbox</key><false/>
  <key>com.apple.application-identifier</key><string>97JCY7859U.io.example.app</string>
  <key>keychain-access-groups</key><array><string>97JCY7859U.shared</string><string>97JCY7859U.other</string></array>
  <key>get-task-allow</key><true/>
  <key>Zeta</key><integer>-129</integer>
  <key>alpha</key><integer>1099511627776</integer>
  <key>zero</key><integer>0</integer>
  <key>n127</key><integer>127</integer>
  <key>n128</key><integer>128</integer>
  <key>minus1</key><integer>-1</integer>
  <key>\u00e9t\u00e9</key><string>caf\u00e9</string>
  <key>\uff5ewide</key><true/>
  <key>\u{1f600}smile</key><true/>
  <key>nested</key><dict><key>b</key><array><dict/><array/></array><key>a</key><string>x</string></dict>
  <key>long</key><string>${'x'.repeat(300)}</string>
</dict>
</plist>
`;

describe('DER entitlements', () => {
  it("encode exactly as adhoc_sign.py's independent encoder, keys in UTF-8 byte order", () => {
    const file = path.join(dir, 'ents.plist');
    fs.writeFileSync(file, ENTITLEMENTS);
    const ours = entitlementsBlobs(Buffer.from(ENTITLEMENTS));
    const der = encodeDerEntitlements(ours.dict);
    assert.equal(der.toString('hex'), pythonDer(file).toString('hex'));
    assert.equal(ours.der.readUInt32BE(0), 0xfade7172);
    assert.ok(ours.der.subarray(8).equals(der));
    // U+FF5E sorts before U+1F600 in UTF-16 code units but after it in UTF-8 bytes (and code points): Apple's order.
    const text = der.toString('utf8');
    assert.ok(text.indexOf('\uff5ewide') < text.indexOf('\u{1f600}smile'));
  });

  it('round-trip through our decoder, and the XML blob holds the user bytes unchanged', () => {
    const blobs = entitlementsBlobs(Buffer.from(ENTITLEMENTS));
    assert.ok(plistEqual(decodeDerEntitlements(blobs.der.subarray(8)), blobs.dict));
    assert.equal(blobs.xml.readUInt32BE(0), 0xfade7171);
    assert.equal(blobs.xml.subarray(8).toString(), ENTITLEMENTS);
    assert.equal(execSegmentFlags(blobs.dict), 0x10, 'get-task-allow allows unsigned pages, as codesign marks it');
  });

  it('matches the published vectors and refuses values DER cannot hold', () => {
    const empty = entitlementsBlobs(Buffer.from('<plist version="1.0"><dict/></plist>'));
    assert.deepEqual([...empty.der.subarray(8)], [112, 5, 2, 1, 1, 176, 0]);
    for (const [value, what] of [
      ['<real>1.5</real>', /real/],
      ['<real>2</real>', /real/],
      ['<date>2020-01-01T00:00:00Z</date>', /a date/],
      ['<data>AAAA</data>', /data/],
    ] as const) {
      assert.throws(
        () => entitlementsBlobs(Buffer.from(`<plist version="1.0"><dict><key>k</key>${value}</dict></plist>`)),
        (e: unknown) => e instanceof InputError && what.test(e.message),
      );
    }
    assert.throws(() => entitlementsBlobs(Buffer.from('<plist version="1.0"><array/></plist>')), InputError);
  });
});

function certificate(name: string, subject: string, extensions: string[] = [], issuer?: string) {
  return opensslCertificate(dir, name, subject, { extensions, issuer });
}

function identity(leaf: Buffer, chain: Buffer[], fields: Partial<SigningIdentity>): SigningIdentity {
  return {
    certificate: leaf,
    chain,
    privateKey: undefined as never,
    teamId: null,
    commonName: 'test',
    kind: 'other',
    ...fields,
  };
}

const designated = (id: SigningIdentity) => {
  const set = parseRequirements(internalRequirements('io.example.tool', id));
  assert.ok(set);
  assert.equal(set.length, 1);
  assert.equal(set[0].type, 'designated');
  return set[0].text;
};

describe('designated requirements, decompiled by our reader', () => {
  it('ad hoc: the empty requirement set codesign -s - writes', () => {
    assert.equal(internalRequirements('x', null).toString('hex'), 'fade0c010000000c00000000');
  });

  it("Developer ID Application: Apple's form with the team from the subject OU", () => {
    const leaf = certificate('devid', '/CN=Developer ID Application: T (97JCY7859U)/OU=97JCY7859U/O=T/C=US');
    assert.equal(
      designated(identity(leaf.der, [], { kind: 'developer-id-application', teamId: '97JCY7859U' })),
      'identifier "io.example.tool" and anchor apple generic and certificate 1[field.1.2.840.113635.100.6.2.6] /* exists */ ' +
        'and certificate leaf[field.1.2.840.113635.100.6.1.13] /* exists */ and certificate leaf[subject.OU] = "97JCY7859U"',
    );
  });

  it("Apple Development: the leaf's common name and Apple's WWDR intermediate marker", () => {
    const leaf = certificate('dev', '/CN=Apple Development: T (ABCDE12345)/OU=97JCY7859U/O=T/C=US');
    assert.equal(
      designated(
        identity(leaf.der, [], { kind: 'apple-development', commonName: 'Apple Development: T (ABCDE12345)' }),
      ),
      'identifier "io.example.tool" and anchor apple generic and certificate leaf[subject.CN] = "Apple Development: T (ABCDE12345)" ' +
        'and certificate 1[field.1.2.840.113635.100.6.2.1] /* exists */',
    );
  });

  it("other certificates: pinned by SHA-1 (openssl's fingerprint) where the leaf's organization ends", () => {
    const root = certificate('root', '/CN=Example Root/O=Example Org/C=US');
    const sameOrg = certificate('same', '/CN=Signer/O=Example Org/C=US', [], root.path);
    assert.equal(
      designated(identity(sameOrg.der, [root.der], {})),
      `identifier "io.example.tool" and certificate root = H"${root.sha1}"`,
    );
    const otherOrg = certificate('other', '/CN=Signer/O=Someone Else/C=US', [], root.path);
    assert.equal(
      designated(identity(otherOrg.der, [root.der], {})),
      `identifier "io.example.tool" and certificate leaf = H"${otherOrg.sha1}"`,
    );
    const noOrg = certificate('noorg', '/CN=Just Me');
    assert.equal(
      designated(identity(noOrg.der, [], {})),
      `identifier "io.example.tool" and certificate leaf = H"${noOrg.sha1}"`,
    );
    const selfSigned = certificate('self', '/CN=Me/O=Mine');
    assert.equal(
      designated(identity(selfSigned.der, [], {})),
      `identifier "io.example.tool" and certificate root = H"${selfSigned.sha1}"`,
    );
  });

  it('installer certificates cannot sign code', () => {
    const leaf = certificate('installer', '/CN=Developer ID Installer: T (97JCY7859U)/OU=97JCY7859U');
    assert.throws(
      () => internalRequirements('x', identity(leaf.der, [], { kind: 'developer-id-installer', commonName: 'I' })),
      InputError,
    );
  });
});

describe("signature space sized as Apple's codesign sizes it", () => {
  it('@vscode/vsce-sign-darwin-arm64@2.0.6 (codesign -s -): the same LC_CODE_SIGNATURE datasize', () => {
    const file = path.join(npmPackage('@vscode/vsce-sign-darwin-arm64@2.0.6'), 'bin', 'vsce-sign');
    const { dataOffset, dataSize } = objdumpFacts(file).codeSignature!;
    // codesign sized it from the file it signed: the same code limit, its identifier, an empty requirement set.
    const bytes = fs.readFileSync(file);
    const cd = bytes.subarray(dataOffset + bytes.readUInt32BE(dataOffset + 16));
    const identifier = cd.subarray(cd.readUInt32BE(20), cd.indexOf(0, cd.readUInt32BE(20))).toString();
    const requirements = internalRequirements(identifier, null);
    const cdSize = codeDirectorySize(
      {
        identifier,
        teamId: null,
        hash: 'sha256',
        flags: 2,
        codeLimit: dataOffset,
        pageSize: 4096,
        execSegment: { base: 0, limit: 1, flags: 1 },
        runtimeVersion: 0,
        special: new Map([[2, requirements]]),
      },
      0x20500,
    );
    assert.equal(signatureSpace([requirements.length], [cdSize]), dataSize);
  });
});

describe('the default identifier', () => {
  it("is the file name as Security's canonicalIdentifier trims it (examples from its comments)", () => {
    const cases: [string, string][] = [
      ['/x/foo.2.3.4', 'foo.2'],
      ['foo2.3', 'foo2'],
      ['foo.9', 'foo.9'],
      ['foo', 'foo'],
      ['dir/hello.exe', 'hello'],
      ['hello-arm64', 'hello-arm64'],
      ['sentry-cli', 'sentry-cli'],
      ['1password', '1password'],
    ];
    for (const [file, id] of cases) assert.equal(canonicalIdentifier(file), id, file);
  });
});
