import { rmSync } from 'node:fs';
import { startFileSource } from '@ferry/local-stack';
import { objectSha256, randomFile } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { startThrottleProxy, type ThrottleProxy } from './testing/throttle-proxy.ts';

const MIB = 1024 * 1024;

describe('a worker whose job lock could not be renewed', () => {
  const file = randomFile(24 * MIB);
  let harness: Harness;
  let source: Awaited<ReturnType<typeof startFileSource>>;
  let proxy: ThrottleProxy;

  beforeAll(async () => {
    harness = await Harness.create();
    source = await startFileSource({ root: file.dir });
    // Slow enough that the lock is "lost" mid-transfer, after some parts are checkpointed.
    proxy = await startThrottleProxy(source.url, 8 * MIB);
  });

  afterAll(async () => {
    await harness?.close();
    await proxy?.close();
    await source?.close();
    rmSync(file.dir, { recursive: true, force: true });
  });

  it('stops the import at once, keeps the checkpoint, and the job resumes from it', async () => {
    const worker = await harness.startWorker({ PART_SIZE_MIB: '5', PART_CONCURRENCY: '1' });
    const id = await harness.submit({ type: 'http', url: `${proxy.url}/${file.name}` }, 'lock-lost.bin', {
      backoff: { type: 'fixed', delay: 200 },
    });
    await expect.poll(async () => (await harness.checkpoints.load(id))?.parts.size ?? 0).toBeGreaterThan(0);

    // What BullMQ's lock manager emits when extending the lock finds it gone.
    worker.worker.emit('lockRenewalFailed', [id]);

    const record = await harness.waitForStatus(id, ['completed', 'failed']);
    expect(record.error).toBeUndefined();
    // The stopped attempt neither failed the import nor aborted its upload: the retry continued it.
    expect(record.attempts).toBe(2);
    expect(await objectSha256(harness.s3, harness.bucket, 'lock-lost.bin')).toEqual({
      sha256: file.sha256,
      size: 24 * MIB,
    });
    expect(record.result?.partCount).toBe(5);
  });
});
