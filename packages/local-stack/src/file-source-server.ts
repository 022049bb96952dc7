import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export interface FileSourceOptions {
  /** Directory whose files are served at /<name>. */
  root: string;
  /** Honour Range requests (206) and advertise Accept-Ranges. Default true. */
  ranges?: boolean;
  /** Answer HEAD; when false HEAD gets 405, as some origins do. Default true. */
  head?: boolean;
  /** Send Content-Length on full responses; false streams chunked, as for generated content. Default true. */
  contentLength?: boolean;
  /** Called for every request before it is answered; may answer it itself (fault injection). */
  intercept?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface FileSourceHandle {
  url: string;
  server: Server;
  /** Every request, as it came; `traceparent` shows whether a traced client propagated its trace. */
  requests: Array<{
    method: string;
    path: string;
    range: string | undefined;
    traceparent: string | undefined;
  }>;
  close(): Promise<void>;
}

/**
 * A plain HTTP origin serving files from disk with ETag, Last-Modified, HEAD and byte ranges:
 * the sample source of the local stack and the HTTP source of the tests and benchmarks.
 */
export async function startFileSource(options: FileSourceOptions): Promise<FileSourceHandle> {
  const ranges = options.ranges ?? true;
  const head = options.head ?? true;
  const contentLength = options.contentLength ?? true;
  const requests: FileSourceHandle['requests'] = [];

  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push({
      method: req.method ?? '',
      path,
      range: req.headers.range,
      traceparent: req.headers.traceparent?.toString(),
    });
    if (options.intercept?.(req, res)) return;
    if (req.method === 'HEAD' && !head) return end(res, 405);
    if (req.method !== 'GET' && req.method !== 'HEAD') return end(res, 405);
    const file = join(options.root, normalize(path).replace(/^(\.\.[/\\])+/, ''));
    let size: number;
    let mtime: Date;
    try {
      const stat = statSync(file);
      if (!stat.isFile()) return end(res, 404);
      size = stat.size;
      mtime = stat.mtime;
    } catch {
      return end(res, 404);
    }
    const etag = `"${size.toString(16)}-${mtime.getTime().toString(16)}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Last-Modified', mtime.toUTCString());
    res.setHeader('Content-Type', 'application/octet-stream');
    if (ranges) res.setHeader('Accept-Ranges', 'bytes');

    const range = ranges ? parseRange(req.headers.range, size) : null;
    const ifRange = req.headers['if-range'];
    const rangeApplies = range && (!ifRange || ifRange === etag);
    if (range === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${size}`);
      return end(res, 416);
    }
    if (rangeApplies && range) {
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
      res.setHeader('Content-Length', range.end - range.start + 1);
      if (req.method === 'HEAD') return res.end();
      return void createReadStream(file, {
        start: range.start,
        end: range.end,
        highWaterMark: 256 * 1024,
      }).pipe(res);
    }
    res.statusCode = 200;
    if (contentLength) res.setHeader('Content-Length', size);
    if (req.method === 'HEAD') return res.end();
    createReadStream(file, { highWaterMark: 256 * 1024 }).pipe(res);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function end(res: ServerResponse, status: number): void {
  res.statusCode = status;
  res.end();
}

function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return null;
  const [, startText = '', endText = ''] = match;
  if (startText === '' && endText === '') return null;
  let start: number;
  let end: number;
  if (startText === '') {
    start = Math.max(0, size - Number(endText));
    end = size - 1;
  } else {
    start = Number(startText);
    end = endText === '' ? size - 1 : Math.min(Number(endText), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}
