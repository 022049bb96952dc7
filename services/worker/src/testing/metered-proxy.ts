import { createServer, request } from 'node:http';
import { pipeline, Transform } from 'node:stream';
import { listenOnLoopback } from './listen-on-loopback.ts';

export interface MeteredRequest {
  method: string;
  range: string | undefined;
  status: number;
  /** Body bytes sent to the client so far. */
  bytes: number;
  /** Whether the whole body was sent. */
  complete: boolean;
}

export interface MeteredProxy {
  url: string;
  /** Bytes per second per response; Infinity passes bytes through at full speed. */
  bytesPerSecond: number;
  requests: MeteredRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP proxy in front of a source that slows response bodies down and counts, per request,
 * the bytes it actually sent: what a test needs to say how much a resumed import re-fetched.
 */
export async function startMeteredProxy(upstream: string, bytesPerSecond: number): Promise<MeteredProxy> {
  const target = new URL(upstream);
  const proxy: MeteredProxy = { url: '', bytesPerSecond, requests: [], close: async () => {} };
  const server = createServer((req, res) => {
    const entry: MeteredRequest = {
      method: req.method ?? '',
      range: req.headers.range,
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
        const meter = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            const rate = proxy.bytesPerSecond;
            const send = () => {
              entry.bytes += chunk.length;
              callback(null, chunk);
            };
            if (Number.isFinite(rate)) setTimeout(send, (chunk.length / rate) * 1000);
            else send();
          },
        });
        pipeline(upstreamResponse, meter, res, (error) => {
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
