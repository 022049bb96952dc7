import { createServer, request } from 'node:http';
import { pipeline, Transform } from 'node:stream';
import { listenOnLoopback } from './listen-on-loopback.ts';

export interface ThrottleProxy {
  url: string;
  /** Bytes per second per response; Infinity passes bytes through at full speed. */
  bytesPerSecond: number;
  requests: Array<{ method: string; path: string; range: string | undefined; ifRange: string | undefined }>;
  close(): Promise<void>;
}

/**
 * A real HTTP proxy in front of a source that slows its response bodies down, so a test can act
 * while an import is mid-transfer. The rate can change while it runs.
 */
export async function startThrottleProxy(upstream: string, bytesPerSecond: number): Promise<ThrottleProxy> {
  const target = new URL(upstream);
  const proxy: ThrottleProxy = { url: '', bytesPerSecond, requests: [], close: async () => {} };
  const server = createServer((req, res) => {
    proxy.requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      range: req.headers.range,
      ifRange: req.headers['if-range'] as string | undefined,
    });
    const upstreamRequest = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upstreamResponse) => {
        res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        pipeline(upstreamResponse, throttle(proxy), res, () => {});
      },
    );
    upstreamRequest.on('error', () => res.destroy());
    res.on('close', () => upstreamRequest.destroy());
    req.pipe(upstreamRequest);
  });
  const listening = await listenOnLoopback(server);
  proxy.url = listening.url;
  proxy.close = listening.close;
  return proxy;
}

function throttle(proxy: ThrottleProxy): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const rate = proxy.bytesPerSecond;
      if (!Number.isFinite(rate)) {
        callback(null, chunk);
        return;
      }
      setTimeout(() => callback(null, chunk), (chunk.length / rate) * 1000);
    },
  });
}
