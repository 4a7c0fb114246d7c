/**
 * The language server's inspect request with `online` (what the VS Code client sends when the user turned on
 * `goMacosSign.checkTicketsOnline`): the bundled dist/server.js over JSON-RPC, GO_MACOS_SIGN_TICKET_URL pointing at the
 * strict ticket-lookup stand-in. Without `online` the stand-in sees nothing; with it, the report carries the answer.
 * The expected cdhash comes from test/support/sigcheck.py.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { InspectRequest } from '../../server/src/protocol';
import { CHILD_LIMIT } from '../support/bounds';
import { LspServer, startServer } from '../support/lspServer';
import { fakeTicket, startTicketServer, TicketServer } from '../support/ticketServer';
import { buildGo, REPO, tempDir } from '../support/tools';

const dir = tempDir('gms-lsp-online-');
let server: LspServer;
let tickets: TicketServer;
let binary: string;
let cdhash: string;

before(async () => {
  binary = buildGo('arm64', dir);
  const checked = JSON.parse(
    execFileSync('python3', [path.join(REPO, 'test', 'support', 'sigcheck.py'), binary], {
      ...CHILD_LIMIT,
      encoding: 'utf8',
    }),
  ) as { slices: { cdhashes: Record<string, string> }[] };
  cdhash = checked.slices[0].cdhashes.sha256.slice(0, 40);
  tickets = await startTicketServer(new Map([[`2/2/${cdhash}`, fakeTicket('lsp')]]));
  server = await startServer({
    rootUri: pathToFileURL(dir).href,
    workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'test' }],
    env: { ...process.env, GO_MACOS_SIGN_TICKET_URL: tickets.url },
  });
});

after(async () => {
  assert.equal(await server.stop(), 0);
  await tickets.close();
});

const inspect = (params: InspectRequest.Params) =>
  server.connection.sendRequest<InspectRequest.Result>('goMacosSign/inspect', params);

describe('goMacosSign/inspect with online', () => {
  it('without online nothing leaves the machine', async () => {
    const result = await inspect({ path: binary });
    assert.equal(result.reports[0].notarization, undefined);
    assert.deepEqual(tickets.requests, []);
  });

  it('with online the report says what the ticket service answered', async () => {
    const result = await inspect({ path: binary, online: true });
    assert.deepEqual(tickets.requests, [[`2/2/${cdhash}`]]);
    const [report] = result.reports;
    assert.equal(report.notarization?.ticket, 'found');
    assert.deepEqual(report.notarization?.cdhashes, [cdhash]);
    assert.equal(report.checks.find((c) => c.id === 'notarization/ticket')?.status, 'pass');
  });
});
