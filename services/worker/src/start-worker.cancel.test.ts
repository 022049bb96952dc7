import { rmSync } from 'node:fs';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { startFileSource } from '@ferry/local-stack';
import { randomFile, type S3TestBackend, s3Backends } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { startThrottleProxy, type ThrottleProxy } from './testing/throttle-proxy.ts';

const MIB = 1024 * 1024;

// One 40 MiB file for both servers; each server's suite has its own file servers and proxies.
const file = randomFile(40 * MIB);
afterAll(() => rmSync(file.dir, { recursive: true, force: true }));

describe.for(s3Backends())('cancel of a running import into $label', (backend: S3TestBackend) => {
  let harness: Harness;
  const servers: Array<{ close(): Promise<void> }> = [];
  const proxies: Record<string, ThrottleProxy> = {};

  beforeAll(async () => {
    harness = await Harness.create(backend);
    for (const [name, ranges] of [
      ['ranged', true],
      ['streamed', false],
    ] as const) {
      const source = await startFileSource({ root: file.dir, ranges });
      // Slow responses: each 8 MiB part takes seconds, so the cancel lands mid-transfer.
      const proxy = await startThrottleProxy(source.url, (ranges ? 2 : 5) * MIB);
      servers.push(proxy, source);
      proxies[name] = proxy;
    }
    // Closed by harness.close().
    await harness.startWorker({ PART_SIZE_MIB: '8', PART_CONCURRENCY: '2' });
  });

  afterAll(async () => {
    await harness?.close();
    for (const server of servers) await server.close();
  });

  it.each(['ranged', 'streamed'])('stops a %s import within 5 s and leaves nothing behind', async (name) => {
    const proxy = proxies[name] as ThrottleProxy;
    const key = `canceled-${name}.bin`;
    const id = await harness.submit({ type: 'http', url: `${proxy.url}/${file.name}` }, key);
    // Streamed: past the first 8 MiB part, so the multipart upload has been opened.
    const started = name === 'ranged' ? 0 : 9 * MIB;
    await harness.waitFor(id, (record) => record.status === 'running' && record.bytesDone > started);

    await expect.poll(async () => (await harness.openUploads()).length).toBe(1);

    const canceledAt = Date.now();
    await harness.cancel(id);
    expect(await harness.waitForJobState(id, ['completed', 'failed'], 10_000)).toBe('completed');
    expect(Date.now() - canceledAt).toBeLessThan(5000);

    const record = await harness.store.get(id);
    expect(record?.status).toBe('canceled');
    expect(record?.bytesDone).toBeLessThan(40 * MIB);
    expect(await harness.openUploads()).toEqual([]);
    expect(await harness.redis.exists(harness.checkpoints.key(id))).toBe(0);
    await expect(
      harness.s3.send(new HeadObjectCommand({ Bucket: harness.bucket, Key: key })),
    ).rejects.toMatchObject({
      name: 'NotFound',
    });
    // Not retried: the job completed once and the record never left canceled.
    expect((await harness.queue.getJob(id))?.attemptsMade).toBe(1);
  });
});
