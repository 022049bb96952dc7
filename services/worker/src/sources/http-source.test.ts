import { readFileSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { startFileSource } from '@ferry/local-stack';
import { ErrorCode } from '@ferry/shared';
import { randomFile } from '@ferry/test-support';
import type { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBudget } from '../bytes/memory-budget.ts';
import { testFleet } from '../limits/test-limiters.ts';
import { readPartStream } from '../testing/read-part-stream.ts';
import { createGuardedAgent } from './guarded-agent.ts';
import { HttpSource } from './http-source.ts';
import { PooledHttpClient } from './pooled-http-client.ts';

describe('HttpSource (real HTTP origin)', () => {
  const file = randomFile(64 * 1024);
  const seen: IncomingHttpHeaders[] = [];
  let wrongContentRange = false;
  let source: Awaited<ReturnType<typeof startFileSource>>;
  let noHead: Awaited<ReturnType<typeof startFileSource>>;
  let agent: Agent;
  const client = new PooledHttpClient({ allowPrivate: true });
  const budget = new MemoryBudget(4 * 1024 * 1024);
  const fleet = testFleet();
  const limiter = fleet.worker();

  beforeAll(async () => {
    source = await startFileSource({
      root: file.dir,
      intercept: (req, res) => {
        seen.push(req.headers);
        if (req.headers['x-secret'] !== 'hunter2') {
          res.statusCode = 401;
          res.end();
          return true;
        }
        if (wrongContentRange && req.headers.range) {
          res.writeHead(206, { 'content-range': `bytes 1-10/${64 * 1024}`, 'content-length': '10' });
          res.end(Buffer.alloc(10));
          return true;
        }
        return false;
      },
    });
    noHead = await startFileSource({ root: file.dir, head: false });
    agent = createGuardedAgent(true);
  });

  afterAll(async () => {
    await agent?.close();
    client.close();
    await fleet.close();
    await source?.close();
    await noHead?.close();
    rmSync(file.dir, { recursive: true, force: true });
  });

  const http = (url: string, headers: Record<string, string> = { 'x-secret': 'hunter2' }) =>
    new HttpSource({ type: 'http', url, headers }, agent, client, limiter);
  const signal = () => new AbortController().signal;
  const lease = () => budget.acquire(1024 * 1024, signal());

  it('reads size, version and range support from HEAD, sending the source headers', async () => {
    const metadata = await http(`${source.url}/${file.name}`).metadata(signal());
    expect(metadata).toEqual({
      size: 64 * 1024,
      version: expect.stringMatching(/^"/),
      ranges: true,
      location: `${source.url}/${file.name}`,
    });
    expect(seen.at(-1)?.['x-secret']).toBe('hunter2');
    expect(seen.at(-1)?.['accept-encoding']).toBe('identity');
  });

  it('falls back to a one-byte range probe when HEAD is refused', async () => {
    const metadata = await http(`${noHead.url}/${file.name}`).metadata(signal());
    expect(metadata).toMatchObject({ size: 64 * 1024, version: expect.stringMatching(/^"/), ranges: true });
    const missing = http(`${noHead.url}/missing.bin`).metadata(signal());
    await expect(missing).rejects.toMatchObject({ code: ErrorCode.SOURCE_NOT_FOUND, retryable: false });
  });

  it('reads a range pinned with If-Range and If-Match, into the lease', async () => {
    const h = http(`${source.url}/${file.name}`);
    const metadata = await h.metadata(signal());
    const held = await lease();
    try {
      const body = await readPartStream(await h.readRange(100, 199, metadata, signal(), held));
      expect(body).toEqual(readFileSync(join(file.dir, file.name)).subarray(100, 200));
    } finally {
      held.release();
    }
    expect(seen.at(-1)).toMatchObject({
      range: 'bytes=100-199',
      'if-range': metadata.version,
      'if-match': metadata.version,
    });
  });

  it('calls a changed object SOURCE_CHANGED (200 to a ranged GET), permanently', async () => {
    const h = http(`${source.url}/${file.name}`);
    const metadata = await h.metadata(signal());
    const held = await lease();
    const read = h.readRange(0, 99, { ...metadata, version: '"an-older-version"' }, signal(), held);
    await expect(read).rejects.toMatchObject({ code: ErrorCode.SOURCE_CHANGED, retryable: false });
    held.release();
  });

  it('refuses a Content-Range other than the one asked for, retryably', async () => {
    const h = http(`${source.url}/${file.name}`);
    const metadata = await h.metadata(signal());
    wrongContentRange = true;
    try {
      const held = await lease();
      const read = h.readRange(0, 99, metadata, signal(), held);
      await expect(read).rejects.toMatchObject({ code: ErrorCode.SOURCE_SIZE_MISMATCH, retryable: true });
      held.release();
    } finally {
      wrongContentRange = false;
    }
  });

  it('maps statuses to codes: 401 is SOURCE_ACCESS_DENIED, permanent', async () => {
    const read = http(`${source.url}/${file.name}`, {}).metadata(signal());
    await expect(read).rejects.toMatchObject({ code: ErrorCode.SOURCE_ACCESS_DENIED, retryable: false });
  });

  it('calls a refused connection a transient SOURCE_NETWORK_ERROR', async () => {
    const read = http('http://127.0.0.1:1/x').metadata(signal());
    await expect(read).rejects.toMatchObject({ code: ErrorCode.SOURCE_NETWORK_ERROR, retryable: true });
  });
});

describe('SSRF policy at connect time (pooled client for metadata and parts, undici for whole reads)', () => {
  const signal = () => new AbortController().signal;
  const fleet = testFleet();
  afterAll(() => fleet.close());

  it('refuses cloud metadata addresses even when private addresses are allowed', async () => {
    const agent = createGuardedAgent(true);
    const client = new PooledHttpClient({ allowPrivate: true });
    try {
      const source = new HttpSource(
        { type: 'http', url: 'http://169.254.169.254/latest/meta-data/' },
        agent,
        client,
        fleet.worker(),
      );
      const refused = { code: ErrorCode.SOURCE_ADDRESS_REFUSED, retryable: false };
      await expect(source.metadata(signal())).rejects.toMatchObject(refused);
      await expect(source.readAll(signal())).rejects.toMatchObject(refused);
    } finally {
      client.close();
      await agent.close();
    }
  });

  it('refuses a name whose resolution includes a private address', async () => {
    const resolveAll = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ];
    const agent = createGuardedAgent(false, resolveAll);
    const client = new PooledHttpClient({ allowPrivate: false, resolveAll });
    try {
      const source = new HttpSource(
        { type: 'http', url: 'http://mixed.example.test/f' },
        agent,
        client,
        fleet.worker(),
      );
      const refused = { code: ErrorCode.SOURCE_ADDRESS_REFUSED };
      await expect(source.metadata(signal())).rejects.toMatchObject(refused);
      await expect(source.readAll(signal())).rejects.toMatchObject(refused);
    } finally {
      client.close();
      await agent.close();
    }
  });
});
