import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Lets rclone complete multipart uploads on fauxqs. rclone's Go SDK writes the quotes of each part's
 * ETag in CompleteMultipartUpload as `&#34;` (encoding/xml), and fauxqs 2.4.1 unescapes only
 * `&quot;`, so every rclone upload ends in InvalidPart. This proxy rewrites that one small body and
 * streams everything else through untouched. It is its own process so its CPU is charged to
 * neither rclone nor the sink.
 *
 * Usage: node bench/etag-fixup-proxy.ts <upstream endpoint>. Prints its endpoint first on stdout.
 */
const upstream = new URL(process.argv[2] ?? '');

const server = createServer((req, res) => {
  const completing = req.method === 'POST' && /[?&]uploadId=/.test(req.url ?? '');
  const forward = (body?: Buffer) => {
    const headers = { ...req.headers };
    if (body) headers['content-length'] = String(body.length);
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    if (body) out.end(body);
    else req.pipe(out);
  };
  if (!completing) return forward();
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () =>
    forward(Buffer.from(Buffer.concat(chunks).toString('utf8').replaceAll('&#34;', '&quot;'))),
  );
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(0));
