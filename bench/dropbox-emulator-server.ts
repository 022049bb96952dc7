import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDropboxEmulator } from '@ferry/test-support';

/**
 * The Dropbox emulator of @ferry/test-support as a process of its own, so that the CPU it spends
 * answering a fleet is neither the bench's nor the workers'. Beside the emulator it serves a control
 * origin for the bench:
 *
 * - `POST /files` `{ count, size }` → `[{ path, size, contentHash }]`: adds `count` files of `size` bytes
 * - `POST /token` → `{ token }`: an access token of the one account
 * - `POST /limit` `{ requestsPerSecond }`: sets the account's limit and starts a new log
 * - `GET /report?graceMs=N` → `{ requests, pauses, duringPauses }` since the last `/limit`
 *
 * Usage: node bench/dropbox-emulator-server.ts <requests per second>. Prints
 * `<emulator url> <control url>` as the first line of stdout.
 */
const limit = Number(process.argv[2]);
if (!Number.isInteger(limit) || limit < 1) {
  console.error('usage: node bench/dropbox-emulator-server.ts <requests per second>');
  process.exit(2);
}

/**
 * Every file is its own window of one random pool, this far along from the previous one: all bytes
 * and content hashes differ, yet 200 files of 4 MiB cost 17 MiB of memory instead of 800.
 */
const WINDOW_STRIDE = 64 * 1024;

const emulator = await startDropboxEmulator({ rateLimit: { requestsPerSecond: limit } });
let fileCount = 0;

async function addFiles(count: number, size: number) {
  const pool = randomBytes(size + count * WINDOW_STRIDE);
  const added = [];
  for (let i = 0; i < count; i++) {
    const path = `/bench/file-${String(fileCount++).padStart(4, '0')}.bin`;
    const content = pool.subarray(i * WINDOW_STRIDE, i * WINDOW_STRIDE + size);
    const { contentHash } = await emulator.addFile(path, content);
    added.push({ path, size, contentHash });
  }
  return added;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const positive = (value: unknown, field: string): number => {
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new Error(`${field} must be a whole number ≥ 1`);
  return value as number;
};

const control = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://control');
  try {
    if (req.method === 'POST' && url.pathname === '/files') {
      const body = await readJson(req);
      return reply(res, 200, await addFiles(positive(body.count, 'count'), positive(body.size, 'size')));
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      return reply(res, 200, { token: emulator.issueAccessToken() });
    }
    if (req.method === 'POST' && url.pathname === '/limit') {
      const body = await readJson(req);
      emulator.setRateLimit({ requestsPerSecond: positive(body.requestsPerSecond, 'requestsPerSecond') });
      emulator.resetStats();
      return reply(res, 200, {});
    }
    if (req.method === 'GET' && url.pathname === '/report') {
      const graceMs = Number(url.searchParams.get('graceMs') ?? '0');
      return reply(res, 200, {
        requests: emulator.requests(),
        pauses: emulator.pauses(),
        duringPauses: emulator.requestsDuringPauses({ graceMs }),
      });
    }
    reply(res, 404, { error: `no ${req.method} ${url.pathname}` });
  } catch (error) {
    reply(res, 400, { error: (error as Error).message });
  }
});
await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
const { port } = control.address() as AddressInfo;
process.stdout.write(`${emulator.apiUrl} http://127.0.0.1:${port}\n`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    control.close();
    emulator.close().then(() => process.exit(0));
  });
}
