import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline, Transform } from 'node:stream';

export interface HeldSource {
  /** The upstream's URL through the hold: `${url}/<path>` fetches `${upstream}/<path>`. */
  url: string;
  /** Resolves once a response has stopped at the hold: the import reading it is certainly mid-body. */
  held: Promise<void>;
  /** Lets every held response go on; nothing is held from now on. */
  release(): void;
  close(): Promise<void>;
}

/**
 * A proxy in front of a ranged HTTP source that stops every response covering byte `holdAt` of the
 * file just before that byte, until release(). A test can then act on a busy worker (SIGTERM it,
 * scale in around it) knowing it is mid-transfer for as long as the test wants, however fast or
 * slow the machine is: no timing involved.
 */
export async function startHeldSource(upstream: string, holdAt: number): Promise<HeldSource> {
  const target = new URL(upstream);
  let released = false;
  const releasing = Promise.withResolvers<void>();
  const held = Promise.withResolvers<void>();

  /** Passes bytes through, and waits for the release at `holdAt` if this response covers it. */
  const hold = (offset: number): Transform => {
    let position = offset;
    return new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        const before = holdAt - position;
        position += chunk.length;
        if (released || before < 0 || before >= chunk.length) return callback(null, chunk);
        if (before > 0) this.push(chunk.subarray(0, before));
        held.resolve();
        void releasing.promise.then(() => callback(null, chunk.subarray(before)));
      },
    });
  };

  const server = createServer((req, res) => {
    const upstreamRequest = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upstreamResponse) => {
        res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        const range = /^bytes (\d+)-/.exec(String(upstreamResponse.headers['content-range'] ?? ''));
        pipeline(upstreamResponse, hold(Number(range?.[1] ?? 0)), res, () => {});
      },
    );
    upstreamRequest.on('error', () => res.destroy());
    res.on('close', () => upstreamRequest.destroy());
    req.pipe(upstreamRequest);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: held.promise,
    release: () => {
      released = true;
      releasing.resolve();
    },
    close: () =>
      new Promise((resolve) => {
        released = true;
        releasing.resolve();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
