import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SpotInterruptionNotice } from '../lifecycle/spot-interruption-watcher.ts';

export interface ImdsStandIn {
  url: string;
  requests: Array<{ method: string; path: string; status: number }>;
  /** From now on, instance-action answers 200 with this notice. */
  interrupt(notice: SpotInterruptionNotice): void;
  /** Every token issued so far stops working (401), as after an IMDS restart. */
  revokeTokens(): void;
  close(): Promise<void>;
}

/**
 * A local stand-in for the parts of the EC2 instance metadata service the Spot watcher uses, with
 * IMDSv2's rules: PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds (1-21600) and
 * returns a token; GET /latest/meta-data/spot/instance-action needs a live token (401 otherwise) and
 * answers 404 until an interruption is scheduled, then 200 with `{ action, time }`.
 */
export async function startImdsStandIn(): Promise<ImdsStandIn> {
  const tokens = new Map<string, number>();
  let notice: SpotInterruptionNotice | null = null;
  const handle: ImdsStandIn = {
    url: '',
    requests: [],
    interrupt: (next) => {
      notice = next;
    },
    revokeTokens: () => tokens.clear(),
    close: async () => {},
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const answer = (status: number, body = '', type = 'text/plain'): void => {
      handle.requests.push({ method: req.method ?? '', path, status });
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    req.resume();
    if (path === '/latest/api/token') {
      if (req.method !== 'PUT') return answer(405);
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21_600) return answer(400);
      const token = randomBytes(24).toString('base64url');
      tokens.set(token, Date.now() + ttl * 1000);
      return answer(200, token);
    }
    if (req.method !== 'GET') return answer(405);
    const token = req.headers['x-aws-ec2-metadata-token'];
    const expiresAt = typeof token === 'string' ? tokens.get(token) : undefined;
    if (expiresAt === undefined || expiresAt < Date.now()) return answer(401);
    if (path === '/latest/meta-data/spot/instance-action') {
      return notice ? answer(200, JSON.stringify(notice), 'application/json') : answer(404);
    }
    return answer(404);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  handle.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  handle.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return handle;
}
