/**
 * Ticket lookup against a strict local stand-in for Apple's CloudKit records/lookup: found, not found, deleted (not a
 * ticket), offline and a silent server (unknown, never an exception), one request for all records, the cache, and the
 * URL rule (plain http only for loopback).
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { InputError } from '../../server/src/errors';
import {
  clearTicketCache,
  lookupTickets,
  recordName,
  ticketLookupUrl,
  ticketQueryFor,
} from '../../server/src/notary/ticketLookup';
import { deadUrl, fakeTicket, startTicketServer, TicketServer } from '../support/ticketServer';

const FOUND = 'aa'.repeat(20);
const MISSING = 'bb'.repeat(20);
const DELETED = 'cc'.repeat(20);
const SHA1 = 'dd'.repeat(20);

describe('ticket lookup', () => {
  let server: TicketServer;
  const ticket = fakeTicket('found');
  before(async () => {
    server = await startTicketServer(
      new Map<string, Buffer | 'deleted'>([
        [`2/2/${FOUND}`, ticket],
        [`2/2/${DELETED}`, 'deleted'],
        [`2/1/${SHA1}`, fakeTicket('sha1')],
      ]),
    );
  });
  after(() => server.close());

  it('asks once for every record: found, not found, deleted', async () => {
    clearTicketCache();
    const result = await lookupTickets(
      [
        { digestType: 2, cdhash: FOUND },
        { digestType: 2, cdhash: MISSING.toUpperCase() },
        { digestType: 2, cdhash: DELETED },
        { digestType: 1, cdhash: SHA1 },
      ],
      { url: server.url },
    );
    assert.deepEqual(server.refused, []);
    assert.deepEqual(server.requests, [[`2/2/${FOUND}`, `2/2/${MISSING}`, `2/2/${DELETED}`, `2/1/${SHA1}`]]);
    assert.deepEqual(result.get(FOUND), { status: 'found', ticket });
    assert.deepEqual(result.get(MISSING), { status: 'not-found' });
    assert.deepEqual(result.get(DELETED), { status: 'deleted' });
    assert.deepEqual(result.get(SHA1), { status: 'found', ticket: fakeTicket('sha1') });
  });

  it('answers again from the cache without a request', async () => {
    const before = server.requests.length;
    const result = await lookupTickets([{ digestType: 2, cdhash: FOUND }], { url: server.url });
    assert.equal(result.get(FOUND)?.status, 'found');
    assert.equal(server.requests.length, before);
    clearTicketCache();
    await lookupTickets([{ digestType: 2, cdhash: FOUND }], { url: server.url });
    assert.equal(server.requests.length, before + 1);
  });

  it('a not-found answer expires sooner than a found one', async () => {
    clearTicketCache();
    let clock = 1_000_000;
    const now = () => clock;
    const queries = [
      { digestType: 2 as const, cdhash: FOUND },
      { digestType: 2 as const, cdhash: MISSING },
    ];
    await lookupTickets(queries, { url: server.url, now });
    const count = server.requests.length;
    clock += 10 * 60 * 1000;
    await lookupTickets(queries, { url: server.url, now });
    assert.deepEqual(server.requests.slice(count), [[`2/2/${MISSING}`]]);
  });

  it('offline: unknown with the reason, never an exception', async () => {
    clearTicketCache();
    const result = await lookupTickets([{ digestType: 2, cdhash: FOUND }], { url: await deadUrl() });
    const status = result.get(FOUND);
    assert.equal(status?.status, 'unknown');
    assert.match((status as { reason: string }).reason, /could not be reached \(ECONNREFUSED\)/);
  });

  it('a server that never answers: unknown after the timeout', async () => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/lookup`;
      const result = await lookupTickets([{ digestType: 2, cdhash: FOUND }], { url, timeoutMs: 300 });
      assert.deepEqual(result.get(FOUND), { status: 'unknown', reason: 'the ticket service did not answer in time' });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('cancelled by the caller: unknown', async () => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/lookup`;
      const controller = new AbortController();
      const pending = lookupTickets([{ digestType: 2, cdhash: FOUND }], { url, signal: controller.signal });
      controller.abort();
      assert.deepEqual((await pending).get(FOUND), { status: 'unknown', reason: 'cancelled' });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('a huge reply and a reply that is not JSON: unknown', async () => {
    const noisy = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/huge') {
        const piece = Buffer.alloc(1024 * 1024, 0x20);
        let sent = 0;
        const more = () => {
          while (sent < 64 && res.write(piece)) sent++;
          if (sent < 64) res.once('drain', more);
          else res.end();
        };
        res.on('error', () => undefined);
        more();
      } else res.end('<html>');
    });
    await new Promise<void>((resolve) => noisy.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(noisy.address() as AddressInfo).port}`;
      const huge = await lookupTickets([{ digestType: 2, cdhash: FOUND }], { url: `${base}/huge` });
      assert.deepEqual(huge.get(FOUND), {
        status: 'unknown',
        reason: 'the ticket service sent a reply too large to read',
      });
      const html = await lookupTickets([{ digestType: 2, cdhash: FOUND }], { url: `${base}/html` });
      assert.deepEqual(html.get(FOUND), { status: 'unknown', reason: 'the ticket service did not answer JSON' });
    } finally {
      noisy.closeAllConnections();
      await new Promise<void>((resolve) => noisy.close(() => resolve()));
    }
  });

  it('GO_MACOS_SIGN_TICKET_URL: https anywhere, plain http only for loopback', () => {
    assert.match(ticketLookupUrl(undefined, {}), /^https:\/\/api\.apple-cloudkit\.com\/database\/1\/com\.apple\.gk/);
    assert.equal(ticketLookupUrl(undefined, { GO_MACOS_SIGN_TICKET_URL: 'http://[::1]:9/x' }), 'http://[::1]:9/x');
    assert.equal(ticketLookupUrl('http://localhost:8/l'), 'http://localhost:8/l');
    assert.throws(() => ticketLookupUrl('http://example.com/lookup'), InputError);
    assert.throws(() => ticketLookupUrl('ftp://127.0.0.1/'), InputError);
    assert.throws(() => ticketLookupUrl('not a url'), InputError);
  });

  it('the record name and the cdhash chosen: SHA-256 when there is one', () => {
    assert.equal(recordName({ digestType: 2, cdhash: FOUND.toUpperCase() }), `2/2/${FOUND}`);
    assert.deepEqual(
      ticketQueryFor([
        { hashType: 'sha1', cdhash: SHA1 },
        { hashType: 'sha256', cdhash: FOUND },
      ]),
      { digestType: 2, cdhash: FOUND },
    );
    assert.deepEqual(ticketQueryFor([{ hashType: 'sha1', cdhash: SHA1 }]), { digestType: 1, cdhash: SHA1 });
    assert.equal(ticketQueryFor([]), null);
  });
});
