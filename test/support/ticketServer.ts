/**
 * A strict local stand-in for Apple's ticket lookup (CloudKit records/lookup in the public database
 * com.apple.gk.ticket-delivery), as rcodesign's ticket_lookup.rs and CloudKit Web Services describe it.
 *
 * It refuses (HTTP 400) anything but a POST of JSON to the lookup path whose body is exactly
 * `{"records":[{"recordName":"2/<1|2>/<40 lower-case hex>"}, ...]}`, and records every request it accepted. Records
 * are answered from `tickets` (record name -> ticket bytes, or 'deleted'); any other name gets CloudKit's miss shape.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export const LOOKUP_PATH = '/database/1/com.apple.gk.ticket-delivery/production/public/records/lookup';

export interface TicketServer {
  url: string;
  /** Record names of every accepted request, one array per request. */
  requests: string[][];
  /** Requests refused for their shape, with why. */
  refused: string[];
  close(): Promise<void>;
}

const RECORD = /^2\/[12]\/[0-9a-f]{40}$/;

function shapeProblem(req: http.IncomingMessage, body: string): string | null {
  if (req.method !== 'POST') return `method ${req.method}`;
  if (req.url !== LOOKUP_PATH) return `path ${req.url}`;
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
    return `content-type ${req.headers['content-type']}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'body is not JSON';
  }
  const keys = parsed && typeof parsed === 'object' ? Object.keys(parsed) : [];
  const records = (parsed as { records?: unknown }).records;
  if (keys.join() !== 'records' || !Array.isArray(records) || records.length === 0)
    return 'body is not {records:[...]}';
  for (const r of records) {
    if (!r || typeof r !== 'object' || Object.keys(r).join() !== 'recordName') return 'a record is not {recordName}';
    if (!RECORD.test((r as { recordName: string }).recordName)) return `record name ${JSON.stringify(r)}`;
  }
  return null;
}

export async function startTicketServer(tickets: Map<string, Buffer | 'deleted'>): Promise<TicketServer> {
  const requests: string[][] = [];
  const refused: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const problem = shapeProblem(req, body);
      if (problem) {
        refused.push(problem);
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ serverErrorCode: 'BAD_REQUEST', reason: problem }));
        return;
      }
      const names = (JSON.parse(body) as { records: { recordName: string }[] }).records.map((r) => r.recordName);
      requests.push(names);
      const records = names.map((recordName) => {
        const ticket = tickets.get(recordName);
        if (!ticket) return { recordName, reason: `Record not found`, serverErrorCode: 'NOT_FOUND' };
        const event = { timestamp: 1700000000000, userRecordName: '_0', deviceID: '2' };
        return {
          recordName,
          recordType: 'DeveloperIDTicket',
          fields: ticket === 'deleted' ? {} : { signedTicket: { value: ticket.toString('base64'), type: 'BYTES' } },
          pluginFields: {},
          recordChangeTag: 'abc',
          created: event,
          modified: event,
          deleted: ticket === 'deleted',
        };
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ records }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${LOOKUP_PATH}`,
    requests,
    refused,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A URL on this machine where nothing listens (a port that was just free): "offline". */
export async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}${LOOKUP_PATH}`;
}

/** Synthetic ticket bytes: the `s8ch` magic the lookup checks, then `body`. */
export function fakeTicket(body: string): Buffer {
  return Buffer.concat([Buffer.from('s8ch', 'latin1'), Buffer.from([1, 0, 0, 0]), Buffer.from(body)]);
}
