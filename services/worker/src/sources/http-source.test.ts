import { rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { text } from 'node:stream/consumers';
import { startFileSource } from '@ferry/local-stack';
import { ErrorCode } from '@ferry/shared';
import { randomFile } from '@ferry/test-support';
import type { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuardedAgent } from './guarded-agent.ts';
import { HttpSource } from './http-source.ts';

describe('HttpSource (real HTTP origin)', () => {
  const file = randomFile(64 * 1024);
  const seen: IncomingHttpHeaders[] = [];
  let wrongContentRange = false;
  let source: Awaited<ReturnType<typeof startFileSource>>;
  let noHead: Awaited<ReturnType<typeof startFileSource>>;
  let agent: Agent;

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
    await source?.close();
    await noHead?.close();
    rmSync(file.dir, { recursive: true, force: true });
  });

  const http = (url: string, headers: Record<string, string> = { 'x-secret': 'hunter2' }) =>
    new HttpSource({ type: 'http', url, headers }, agent);
  const signal = () => new AbortController().signal;

  it('reads size, version and range support from HEAD, sending the source headers', async () => {
    const metadata = await http(`${source.url}/${file.name}`).metadata(signal());
    expect(metadata).toEqual({ size: 64 * 1024, version: expect.stringMatching(/^"/), ranges: true });
    expect(seen.at(-1)?.['x-secret']).toBe('hunter2');
    expect(seen.at(-1)?.['accept-encoding']).toBe('identity');
  });

  it('falls back to a one-byte range probe when HEAD is refused', async () => {
    const metadata = await http(`${noHead.url}/${file.name}`).metadata(signal());
    expect(metadata).toEqual({ size: 64 * 1024, version: expect.stringMatching(/^"/), ranges: true });
    const missing = http(`${noHead.url}/missing.bin`).metadata(signal());
    await expect(missing).rejects.toMatchObject({ code: ErrorCode.SOURCE_NOT_FOUND, retryable: false });
  });

  it('reads a range pinned with If-Range', async () => {
    const h = http(`${source.url}/${file.name}`);
    const metadata = await h.metadata(signal());
    const body = await h.readRange(100, 199, metadata, signal());
    expect((await text(body)).length).toBeGreaterThan(0);
    expect(seen.at(-1)).toMatchObject({ range: 'bytes=100-199', 'if-range': metadata.version });
  });

  it('calls a changed object SOURCE_CHANGED (200 to a ranged GET), permanently', async () => {
    const h = http(`${source.url}/${file.name}`);
    const metadata = await h.metadata(signal());
    const read = h.readRange(0, 99, { ...metadata, version: '"an-older-version"' }, signal());
    await expect(read).rejects.toMatchObject({ code: ErrorCode.SOURCE_CHANGED, retryable: false });
  });

  it('refuses a Content-Range other than the one asked for, retryably', async () => {
    const h = http(`${source.url}/${file.name}`);
    const metadata = await h.metadata(signal());
    wrongContentRange = true;
    try {
      const read = h.readRange(0, 99, metadata, signal());
      await expect(read).rejects.toMatchObject({ code: ErrorCode.SOURCE_SIZE_MISMATCH, retryable: true });
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

describe('createGuardedAgent', () => {
  it('refuses cloud metadata addresses even when private addresses are allowed', async () => {
    const agent = createGuardedAgent(true);
    try {
      const read = new HttpSource(
        { type: 'http', url: 'http://169.254.169.254/latest/meta-data/' },
        agent,
      ).metadata(new AbortController().signal);
      await expect(read).rejects.toMatchObject({ code: ErrorCode.SOURCE_ADDRESS_REFUSED, retryable: false });
    } finally {
      await agent.close();
    }
  });

  it('refuses a name whose resolution includes a private address', async () => {
    const agent = createGuardedAgent(false, async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ]);
    try {
      const read = new HttpSource({ type: 'http', url: 'http://mixed.example.test/f' }, agent).metadata(
        new AbortController().signal,
      );
      await expect(read).rejects.toMatchObject({ code: ErrorCode.SOURCE_ADDRESS_REFUSED });
    } finally {
      await agent.close();
    }
  });
});
