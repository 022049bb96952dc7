import { createServer, request } from 'node:http';
import { pipeline, Transform } from 'node:stream';
import { listenOnLoopback } from './listen-on-loopback.ts';

/** One request that passed the proxy, and what it was answered. */
export interface ProxiedRequest {
  method: string;
  path: string;
  range: string | undefined;
  ifRange: string | undefined;
  status: number;
  /** Body bytes sent to the client so far: what the source paid for, delivered or not. */
  bytes: number;
  /** Whether the whole body was sent. */
  complete: boolean;
}

export interface ThrottleProxy {
  url: string;
  /** Bytes per second per response; Infinity passes bytes through at full speed. Changeable. */
  bytesPerSecond: number;
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP proxy in front of a source that slows its response bodies down, so a test can act
 * while an import is mid-transfer, and counts per request the bytes it actually sent, so a test can
 * say how much a resumed import fetched again.
 */
export async function startThrottleProxy(upstream: string, bytesPerSecond: number): Promise<ThrottleProxy> {
  const target = new URL(upstream);
  const proxy: ThrottleProxy = { url: '', bytesPerSecond, requests: [], close: async () => {} };
  const server = createServer((req, res) => {
    const entry: ProxiedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      range: req.headers.range,
      ifRange: req.headers['if-range'] as string | undefined,
      status: 0,
      bytes: 0,
      complete: false,
    };
    proxy.requests.push(entry);
    const upstreamRequest = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upstreamResponse) => {
        entry.status = upstreamResponse.statusCode ?? 502;
        res.writeHead(entry.status, upstreamResponse.headers);
        pipeline(upstreamResponse, throttle(proxy, entry), res, (error) => {
          if (!error) entry.complete = true;
        });
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

function throttle(proxy: ThrottleProxy, entry: ProxiedRequest): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const send = (): void => {
        entry.bytes += chunk.length;
        callback(null, chunk);
      };
      const rate = proxy.bytesPerSecond;
      if (Number.isFinite(rate)) setTimeout(send, (chunk.length / rate) * 1000);
      else send();
    },
  });
}
