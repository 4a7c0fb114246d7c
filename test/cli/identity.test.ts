/**
 * `go-macos-sign identity`: opens a .p12 (password from the environment) or a PEM key and certificate as the builtin
 * signer would, and says whom it signs as. The test PKI is made by openssl (test/support/testPki.ts); what the command
 * prints is compared with what openssl reads from the same certificate.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { IdentityJson } from '../../server/src/protocol';
import { CHILD_LIMIT } from '../support/bounds';
import { testPki } from '../support/testPki';
import { runCliAsync } from '../support/tools';

const pki = testPki();

/** openssl's reading of a PEM certificate: its subject's CN and OU, and the end of its validity. */
function opensslReads(cert: string): { cn: string; ou: string; notAfter: Date } {
  const r = spawnSync(
    'openssl',
    ['x509', '-in', cert, '-noout', '-subject', '-enddate', '-nameopt', 'sep_multiline,sname'],
    { ...CHILD_LIMIT, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const field = (name: string) => new RegExp(`^\\s+${name}=(.*)$`, 'm').exec(r.stdout)?.[1] ?? '';
  return { cn: field('CN'), ou: field('OU'), notAfter: new Date(/notAfter=(.*)/.exec(r.stdout)![1]) };
}

describe('go-macos-sign identity', () => {
  const expected = opensslReads(pki.developerId.cert);

  it('opens a .p12 with the password from GO_MACOS_SIGN_P12_PASSWORD: name, team and validity as openssl reads them', async () => {
    for (const p12 of [pki.developerId.p12, pki.developerId.p12Legacy].filter((p): p is string => p !== null)) {
      const r = await runCliAsync(['identity', '--json', '--p12', p12], { GO_MACOS_SIGN_P12_PASSWORD: pki.password });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as IdentityJson;
      assert.equal(out.name, expected.cn);
      assert.equal(out.teamId, expected.ou);
      assert.equal(new Date(out.notAfter).getTime(), expected.notAfter.getTime());
      assert.equal(out.kind, 'developer-id-application');
      assert.equal(out.kindName, 'Developer ID Application');
      assert.ok(!(r.stdout + r.stderr).includes(pki.password));
    }
    const text = await runCliAsync(['identity', '--p12', pki.developerId.p12], {
      GO_MACOS_SIGN_P12_PASSWORD: pki.password,
    });
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      new RegExp(
        `^${expected.cn.replace(/[()]/g, '\\$&')} \\(Developer ID Application, team ${expected.ou}, valid until `,
      ),
    );
  });

  it('opens a PEM key and certificate', async () => {
    const r = await runCliAsync(['identity', '--json', '--key', pki.developerId.key, '--cert', pki.developerId.cert]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as IdentityJson).name, expected.cn);
  });

  it('refuses in one line, exit 2, what cannot sign an application, never showing the password', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--p12', pki.developerId.p12], { GO_MACOS_SIGN_P12_PASSWORD: 'not-it' }, /the password does not open/],
      [['--p12', pki.developerId.p12], {}, /the password does not open/],
      [['--p12', pki.development.p12], { GO_MACOS_SIGN_P12_PASSWORD: pki.password }, /Apple Development certificate/],
      [['--p12', pki.expired.p12], { GO_MACOS_SIGN_P12_PASSWORD: pki.password }, /expired/],
      [['--p12', pki.p12NoKey], { GO_MACOS_SIGN_P12_PASSWORD: pki.password }, /holds no private key/],
      [['--p12', pki.developerId.p12, '--key', pki.developerId.key], {}, /choose one identity/],
      [['--key', pki.developerId.key], {}, /needs --p12 FILE, or --key KEY.pem and --cert CERT.pem/],
      [[], {}, /needs --p12 FILE/],
    ];
    for (const [args, env, message] of cases) {
      const r = await runCliAsync(['identity', '--json', ...args], env);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.stdout, '');
      assert.ok(!(r.stdout + r.stderr).includes(pki.password));
    }
  });
});
