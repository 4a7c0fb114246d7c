/**
 * What the macOS Signing view and the inspection page show for disk images, installer packages and the online ticket
 * (`goMacosSign.checkTicketsOnline`): the pure client logic (artifactState.ts, render.ts) fed with the engine's real
 * reports of a .dmg and a .pkg written by test/support/make_udif.py and make_xar.py, a Go binary built here and the
 * real @sentry/cli-darwin binary, with answers from the strict ticket-lookup stand-in.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { artifactDetails, artifactKindLabel, artifactState, ticketLabel } from '../../client/src/artifactState';
import { renderInspection } from '../../client/src/render';
import { inspectPath } from '../../server/src/inspect';
import { addNotarization } from '../../server/src/inspectOnline';
import { clearTicketCache } from '../../server/src/notary/ticketLookup';
import type { InspectReport } from '../../server/src/protocol';
import { CHILD_LIMIT } from '../support/bounds';
import { deadUrl, fakeTicket, startTicketServer, TicketServer } from '../support/ticketServer';
import { buildGo, npmPackage, REPO, tempDir } from '../support/tools';

const SUPPORT = path.join(REPO, 'test', 'support');
const dir = tempDir('gms-client-tickets-');
const python = (script: string, ...args: string[]) =>
  execFileSync('python3', [path.join(SUPPORT, script), ...args], { ...CHILD_LIMIT, encoding: 'utf8' });

async function report(file: string): Promise<InspectReport> {
  const result = await inspectPath(file);
  assert.deepEqual(result.errors, []);
  return result.reports[0];
}

let server: TicketServer;
const tickets = new Map<string, Buffer | 'deleted'>();
before(async () => {
  server = await startTicketServer(tickets);
});
after(() => server.close());

describe('disk images and packages in the macOS Signing view', () => {
  it('states, labels and details from real reports', async () => {
    const signed = path.join(dir, 'signed.dmg');
    const made = JSON.parse(python('make_udif.py', signed, '--sign', 'com.example.view')) as { cdhash: string };
    const unsigned = path.join(dir, 'unsigned.dmg');
    python('make_udif.py', unsigned);
    fs.writeFileSync(path.join(dir, 'Payload'), 'payload');
    const pkg = path.join(dir, 'plain.pkg');
    python('make_xar.py', pkg, path.join(dir, 'Payload'));

    const image = await report(signed);
    assert.equal(artifactKindLabel(image), 'disk image');
    assert.equal(artifactState(image), 'ad-hoc');
    assert.equal(artifactState(await report(unsigned)), 'unsigned');
    const details = artifactDetails(image, (id) => `https://example.test/${id}`);
    assert.ok(details.some((n) => n.kind === 'cdhash' && n.value === made.cdhash));
    assert.ok(details.some((n) => n.kind === 'check' && n.label === 'dmg/signature'));

    const pack = await report(pkg);
    assert.equal(artifactKindLabel(pack), 'installer package');
    assert.equal(artifactState(pack), 'unsigned');
    assert.ok(artifactDetails(pack, (id) => id).some((n) => n.kind === 'cdhash' && n.label === 'sha1 checksum'));

    // Modified after signing: broken.
    const bytes = fs.readFileSync(signed);
    bytes[100] ^= 1;
    const modified = path.join(dir, 'modified.dmg');
    fs.writeFileSync(modified, bytes);
    assert.equal(artifactState(await report(modified)), 'broken');

    const page = renderInspection({ reports: [image, pack], errors: [] });
    assert.match(page, new RegExp(`cdhash \`${made.cdhash}\``));
    assert.match(page, /- stapled ticket: no/);
    assert.match(page, /- signature: none/);
    assert.doesNotMatch(page, /\| architecture \|/, 'no empty slice table for a container');
  });
});

describe('the online ticket in the view (goMacosSign.checkTicketsOnline)', () => {
  it('found: "notarized (ticket found)"; none: "not notarized (no ticket)"; offline: nothing', async () => {
    clearTicketCache();
    const sentry = await report(path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli'));
    const arm64 = await report(buildGo('arm64', dir));
    assert.equal(ticketLabel(sentry), undefined, 'not asked: no label');
    assert.equal(artifactState(sentry), 'ready');

    const offline = structuredClone([sentry, arm64]);
    await addNotarization(offline, { url: await deadUrl() });
    assert.deepEqual(offline.map(ticketLabel), [undefined, undefined]);
    assert.equal(artifactState(offline[0]), 'ready');

    for (const a of sentry.architectures) {
      const cd = a.signature!.codeDirectories.find((c) => c.hashType === 'sha256')!;
      tickets.set(`2/2/${cd.cdhash}`, fakeTicket(a.arch));
    }
    const online = structuredClone([sentry, arm64]);
    await addNotarization(online, { url: server.url });
    assert.equal(server.requests.length, 1, 'one request for both artifacts');
    assert.deepEqual(online.map(ticketLabel), ['notarized (ticket found)', 'not notarized (no ticket)']);
    assert.equal(artifactState(online[0]), 'notarized');
    assert.equal(artifactState(online[1]), 'ad-hoc');
    assert.match(renderInspection({ reports: online, errors: [] }), /- notarization: notarized \(ticket found\)/);
  });
});
