import type { ServerResponse } from 'node:http';
import { startFileSource } from './workspace.ts';

/**
 * The benchmarks' HTTP origin, run as its own process: the local stack's ranged file server over
 * the generated files, plus a count of the body bytes it sent, so the resume benchmark can tell how
 * much was fetched twice. GET /_stats → { requests, bytes, ranges: [{ at, method, path, range, bytes }] } since the
 * last reset; GET /_stats?reset=1 answers, then starts counting afresh.
 *
 * Usage: node bench/source-server.ts <directory>. Prints its URL as the first line of stdout.
 */
interface Served {
  /** Date.now() when the request arrived: comparable across processes, unlike performance.now(). */
  at: number;
  method: string;
  path: string;
  range: string | null;
  bytes: number;
}

const root = process.argv[2];
if (!root) {
  console.error('usage: node bench/source-server.ts <directory>');
  process.exit(2);
}

let served: Served[] = [];

/** Counts what the response hands to the socket: what the source paid for, delivered or not. */
function countBody(res: ServerResponse, entry: Served): void {
  const write = res.write;
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    if (chunk && typeof chunk !== 'string') entry.bytes += (chunk as Uint8Array).byteLength;
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
}

const source = await startFileSource({
  root,
  intercept: (req, res) => {
    const url = new URL(req.url ?? '/', 'http://source');
    if (url.pathname === '/_stats') {
      const stats = {
        requests: served.length,
        bytes: served.reduce((sum, entry) => sum + entry.bytes, 0),
        ranges: served,
      };
      if (url.searchParams.has('reset')) served = [];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
      return true;
    }
    const entry: Served = {
      at: Date.now(),
      method: req.method ?? '',
      path: url.pathname,
      range: req.headers.range ?? null,
      bytes: 0,
    };
    served.push(entry);
    countBody(res, entry);
    return false;
  },
});

process.stdout.write(`${source.url}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => source.close().then(() => process.exit(0)));
}
