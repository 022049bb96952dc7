import { objectSha256 } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { startThrottledFile, type ThrottledFile } from './testing/throttled-file.ts';

const MIB = 1024 * 1024;

describe('a worker whose job lock could not be renewed', () => {
  let harness: Harness;
  let slow: ThrottledFile;

  beforeAll(async () => {
    harness = await Harness.create();
    // Slow enough that the lock is "lost" mid-transfer, after some parts are checkpointed.
    slow = await startThrottledFile(24 * MIB, 8 * MIB);
  });

  afterAll(async () => {
    await harness?.close();
    await slow?.close();
  });

  it('stops the import at once, keeps the checkpoint, and the job resumes from it', async () => {
    const worker = await harness.startWorker({ PART_SIZE_MIB: '5', PART_CONCURRENCY: '1' });
    const id = await harness.submit({ type: 'http', url: slow.url }, 'lock-lost.bin', {
      backoff: { type: 'fixed', delay: 200 },
    });
    await harness.waitForCheckpointedParts(id, 1);

    // What BullMQ's lock manager emits when extending the lock finds it gone.
    worker.worker.emit('lockRenewalFailed', [id]);

    const record = await harness.waitForStatus(id, ['completed', 'failed']);
    expect(record.error).toBeUndefined();
    // The stopped attempt neither failed the import nor aborted its upload: the retry continued it.
    expect(record.attempts).toBe(2);
    expect(await objectSha256(harness.s3, harness.bucket, 'lock-lost.bin')).toEqual({
      sha256: slow.file.sha256,
      size: 24 * MIB,
    });
    expect(record.result?.partCount).toBe(5);
  });
});
