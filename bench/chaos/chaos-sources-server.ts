import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseByteRange, startDropboxEmulator, startGdriveEmulator } from '@ferry/test-support';
import { GeneratedFile } from './generated-file.ts';

/**
 * The chaos run's sources as a process of their own, so their CPU is neither the bench's nor the
 * workers': a plain HTTP origin, the Dropbox emulator and the Drive emulator, every file generated
 * on the fly (generated-file.ts). Beside them a control origin for the bench:
 *
 * - `POST /files` `{ kind, index, size }` → `{ kind, name, size, crc32, source }`: a new file
 *   (one per request: the emulators hash each whole, seconds for a large one), `source` being the
 *   import's source as Ferry takes it (tokens included)
 * - `GET /report` → bytes each origin sent, the providers' requests, 429s and requests inside a pause
 *
 * Usage: node bench/chaos/chaos-sources-server.ts <provider requests per second>. Prints
 * `<control url> <dropbox url> <drive url>` as the first line of stdout.
 */
const limit = Number(process.argv[2]);
if (!Number.isInteger(limit) || limit < 1) {
  console.error('usage: node bench/chaos/chaos-sources-server.ts <provider requests per second>');
  process.exit(2);
}

const CHUNK = 256 * 1024;

/**
 * When this process's event loop stood still (ended at, ms long; stalls past 50 ms): the emulators
 * stamp a request's arrival when they get to it, so a stall here bunches arrivals that left the
 * workers spaced, and a 429 after one says more about this process than about Ferry.
 */
const stalls: Array<{ endedAt: number; ms: number }> = [];
const STALL_TICK_MS = 10;
let lastTick = Date.now();
setInterval(() => {
  const now = Date.now();
  const lateMs = now - lastTick - STALL_TICK_MS;
  if (lateMs > 50) stalls.push({ endedAt: now, ms: lateMs });
  lastTick = now;
}, STALL_TICK_MS).unref();

/** The longest stall that ended in the `ms` before `at`: what bunched the requests a 429 counted. */
const stallBefore = (at: number, ms: number): number =>
  Math.max(0, ...stalls.filter((stall) => stall.endedAt <= at && stall.endedAt > at - ms).map((s) => s.ms));
/** A request that comes within this long of a pause's start was already on its way: not a breach. */
const PAUSE_GRACE_MS = 50;

const dropbox = await startDropboxEmulator({ rateLimit: { requestsPerSecond: limit } });
const gdrive = await startGdriveEmulator({ rateLimit: { requestsPerSecond: limit, answer: 429 } });
const httpFiles = new Map<string, GeneratedFile>();
const http = { requests: 0, bytesSent: 0 };

/** The plain HTTP origin: GET and HEAD with single ranges, a strong ETag, as a static file server. */
async function serveHttp(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
  const file = httpFiles.get(name);
  if (!file) return void res.writeHead(404).end();
  http.requests++;
  const range = parseByteRange(req.headers.range, file.size);
  const headers = {
    'accept-ranges': 'bytes',
    'content-type': 'application/octet-stream',
    etag: `"${name}-${file.size}"`,
    'last-modified': 'Tue, 01 Dec 2026 00:00:00 GMT',
  };
  if (range.kind === 'unsatisfiable') {
    return void res.writeHead(416, { ...headers, 'content-range': `bytes */${file.size}` }).end();
  }
  const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, file.size - 1];
  res.writeHead(range.kind === 'partial' ? 206 : 200, {
    ...headers,
    'content-length': end - start + 1,
    ...(range.kind === 'partial' ? { 'content-range': `bytes ${start}-${end}/${file.size}` } : {}),
  });
  if (req.method === 'HEAD') return void res.end();
  const counted = Readable.from(
    (function* () {
      for (const chunk of file.chunks(start, end, CHUNK)) {
        http.bytesSent += chunk.length;
        yield chunk;
      }
    })(),
  );
  await pipeline(counted, res).catch(() => {});
}

// One account per provider, as the headline case: every import competes for the same limit.
const dropboxToken = dropbox.issueAccessToken();
const gdriveToken = gdrive.issueAccessToken();

async function addFile(kind: 'http' | 'dropbox' | 'gdrive', index: number, size: number) {
  const name = `${kind}-${String(index).padStart(4, '0')}.bin`;
  const file = new GeneratedFile(name, size);
  const content = { generated: file };
  let source: Record<string, unknown>;
  if (kind === 'http') {
    httpFiles.set(name, file);
    source = { type: 'http', url: `${origin}/http/${name}` };
  } else if (kind === 'dropbox') {
    const path = `/chaos/${name}`;
    await dropbox.addFile(path, content);
    source = { type: 'dropbox', path, credentials: { accessToken: dropboxToken } };
  } else {
    const { id } = await gdrive.addFile(content, { name });
    source = { type: 'gdrive', fileId: id, credentials: { accessToken: gdriveToken } };
  }
  return { kind, name, size, crc32: file.crc32(), source };
}

function providerReport(emulator: typeof dropbox | typeof gdrive) {
  const stats = emulator.stats();
  return {
    requests: stats.requests,
    rateLimited: stats.rateLimited,
    duringPauses: emulator.requestsDuringPauses({ graceMs: PAUSE_GRACE_MS }).length,
    /** When each 429 was sent (ms since the epoch): set beside the chaos driver's strikes. */
    throttledAt: emulator.pauses().map((pause) => pause.from),
    /** Each 429: how closely the requests filling its window arrived, and this process's stall before. */
    throttles: emulator.pauses().map((pause) => ({
      at: pause.from,
      windowSpanMs: (pause.window.at(-1) ?? pause.from) - (pause.window[0] ?? pause.from),
      sourcesStallMs: stallBefore(pause.from, 1500),
    })),
    bytesSent: stats.bytesSent,
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
}

const count = (value: unknown, field: string): number => {
  if (!Number.isInteger(value) || (value as number) < 0)
    throw new Error(`${field} must be a whole number ≥ 0`);
  return value as number;
};

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://sources');
  try {
    if (url.pathname.startsWith('/http/')) return await serveHttp(req, res, url.pathname.slice(6));
    if (req.method === 'POST' && url.pathname === '/files') {
      const body = await readJson(req);
      if (body.kind !== 'http' && body.kind !== 'dropbox' && body.kind !== 'gdrive') {
        throw new Error('kind must be http, dropbox or gdrive');
      }
      const file = await addFile(body.kind, count(body.index, 'index'), count(body.size, 'size'));
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(file));
    }
    if (req.method === 'GET' && url.pathname === '/report') {
      const report = {
        http,
        dropbox: providerReport(dropbox),
        gdrive: providerReport(gdrive),
        stalls: { count: stalls.length, maxMs: Math.max(0, ...stalls.map((stall) => stall.ms)) },
      };
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(report));
    }
    res.writeHead(404).end();
  } catch (error) {
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: (error as Error).message }));
  }
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
process.stdout.write(`${origin} ${dropbox.apiUrl} ${gdrive.apiUrl}\n`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close();
    Promise.all([dropbox.close(), gdrive.close()]).then(() => process.exit(0));
  });
}
