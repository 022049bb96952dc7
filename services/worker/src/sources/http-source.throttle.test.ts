import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { ErrorCode } from '@ferry/shared';
import type { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBudget } from '../bytes/memory-budget.ts';
import { RateLimitedError } from '../limits/fleet-limiter.ts';
import { hostLimitKey } from '../limits/limit-key.ts';
import { testFleet } from '../limits/test-limiters.ts';
import { listenOnLoopback } from '../testing/listen-on-loopback.ts';
import { readPartStream } from '../testing/read-part-stream.ts';
import { createGuardedAgent } from './guarded-agent.ts';
import { HttpSource } from './http-source.ts';
import { PooledHttpClient } from './pooled-http-client.ts';

const BODY = Buffer.from('0123456789abcdef');

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

/** A real origin whose next answers are scripted; after the script, it serves BODY with ranges. */
async function startOrigin() {
  const script: Answer[] = [];
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const scripted = script.shift();
    if (scripted) return scripted(req, res);
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    const start = Number(range?.[1] ?? 0);
    const end = Math.min(Number(range?.[2] ?? BODY.length - 1), BODY.length - 1);
    res.writeHead(range ? 206 : 200, {
      'content-length': String(end - start + 1),
      'accept-ranges': 'bytes',
      etag: '"v1"',
      ...(range ? { 'content-range': `bytes ${start}-${end}/${BODY.length}` } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : BODY.subarray(start, end + 1));
  });
  const listening = await listenOnLoopback(server);
  return { ...listening, script, requests };
}

const answer =
  (status: number, headers: Record<string, string> = {}): Answer =>
  (_req, res) => {
    res.writeHead(status, { 'content-length': '0', ...headers });
    res.end();
  };

describe('HttpSource throttled by its origin (real origins, the fleet limiter on Redis)', () => {
  let origin: Awaited<ReturnType<typeof startOrigin>>;
  let other: Awaited<ReturnType<typeof startOrigin>>;
  let agent: Agent;
  const client = new PooledHttpClient({ allowPrivate: true });
  const budget = new MemoryBudget(1024 * 1024);
  const fleets: ReturnType<typeof testFleet>[] = [];
  const signal = () => new AbortController().signal;
  const fleetOf = (env: Record<string, string> = {}) => {
    const fleet = testFleet(env);
    fleets.push(fleet);
    return fleet;
  };

  beforeAll(async () => {
    origin = await startOrigin();
    other = await startOrigin();
    agent = createGuardedAgent(true);
  });

  afterAll(async () => {
    await agent?.close();
    client.close();
    await Promise.all(fleets.map((fleet) => fleet.close()));
    await origin?.close();
    await other?.close();
  });

  it('a 429 with Retry-After pauses the host for every worker, and not another host', async () => {
    const fleet = fleetOf({ RATE_LIMIT_MAX_WAIT_S: '0' });
    const [a, b] = [fleet.worker(), fleet.worker()];
    origin.script.push(answer(429, { 'retry-after': '60' }));
    const asked = origin.requests.length;

    const first = new HttpSource({ type: 'http', url: `${origin.url}/f` }, agent, client, a).metadata(
      signal(),
    );
    await expect(first).rejects.toBeInstanceOf(RateLimitedError);
    await expect(first).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED, retryable: true });
    // Another worker's import from the same host waits out the pause without asking the origin.
    const second = new HttpSource({ type: 'http', url: `${origin.url}/g` }, agent, client, b).metadata(
      signal(),
    );
    await expect(second).rejects.toBeInstanceOf(RateLimitedError);
    expect(origin.requests.length - asked).toBe(1);
    expect(await b.pausedUntil(hostLimitKey(new URL(origin.url)))).toBeGreaterThan(Date.now() + 30_000);

    const elsewhere = new HttpSource({ type: 'http', url: `${other.url}/f` }, agent, client, b);
    expect((await elsewhere.metadata(signal())).size).toBe(BODY.length);
  });

  it('a 503 with Retry-After on a part waits inline and reads the part after the pause', async () => {
    const fleet = fleetOf();
    const source = new HttpSource({ type: 'http', url: `${other.url}/part` }, agent, client, fleet.worker());
    const metadata = await source.metadata(signal());
    other.script.push(answer(503, { 'retry-after': '1' }));
    const lease = await budget.acquire(BODY.length, signal());
    try {
      const part = await source.readRange(2, 5, metadata, signal(), lease);
      expect((await readPartStream(part)).toString()).toBe('2345');
    } finally {
      lease.release();
    }
  });

  it('a 503 without Retry-After is an outage: retried by the engine, no pause', async () => {
    const fleet = fleetOf();
    const worker = fleet.worker();
    other.script.push(answer(503));
    const read = new HttpSource({ type: 'http', url: `${other.url}/f` }, agent, client, worker).metadata(
      signal(),
    );
    await expect(read).rejects.toMatchObject({ code: ErrorCode.SOURCE_SERVER_ERROR, retryable: true });
    expect(await worker.pausedUntil(hostLimitKey(new URL(other.url)))).toBeNull();
  });

  it('a 429 from where a redirect led pauses neither host: it is a retryable failure', async () => {
    const fleet = fleetOf({ RATE_LIMIT_MAX_WAIT_S: '0' });
    const worker = fleet.worker();
    const source = new HttpSource({ type: 'http', url: `${origin.url}/moved` }, agent, client, worker);
    for (const read of [() => source.metadata(signal()), () => source.readAll(signal())]) {
      origin.script.push(answer(302, { location: `${other.url}/elsewhere` }));
      other.script.push(answer(429, { 'retry-after': '60' }));
      await expect(read()).rejects.toMatchObject({ code: ErrorCode.SOURCE_SERVER_ERROR, retryable: true });
    }
    expect(await worker.pausedUntil(hostLimitKey(new URL(origin.url)))).toBeNull();
    expect(await worker.pausedUntil(hostLimitKey(new URL(other.url)))).toBeNull();
  });

  it('the whole-object read is throttled too, and holds its slot until the body closes', async () => {
    const host = new URL(origin.url).host;
    const fleet = fleetOf({ HTTP_HOST_LIMITS: `${host}=1/100`, RATE_LIMIT_MAX_WAIT_S: '0' });
    const [a, b] = [fleet.worker(), fleet.worker()];
    const whole = await new HttpSource({ type: 'http', url: `${origin.url}/w` }, agent, client, a).readAll(
      signal(),
    );
    // The only slot is taken while the body is open.
    const blocked = new HttpSource({ type: 'http', url: `${origin.url}/w` }, agent, client, b).readAll(
      AbortSignal.timeout(300),
    );
    await expect(blocked).rejects.toThrow();
    const chunks: Buffer[] = [];
    for await (const chunk of whole.body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(BODY)).toBe(true);

    origin.script.push(answer(429, { 'retry-after': '60' }));
    const throttled = new HttpSource({ type: 'http', url: `${origin.url}/w` }, agent, client, b).readAll(
      signal(),
    );
    await expect(throttled).rejects.toBeInstanceOf(RateLimitedError);
  });
});
