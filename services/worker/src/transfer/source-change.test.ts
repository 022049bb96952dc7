import { createLogger, ErrorCode, StoreKeys } from '@ferry/shared';
import { newRedis, newS3Client, uniqueName } from '@ferry/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { permanentError, transientError } from '../errors/transfer-error.ts';
import { CheckpointStore } from './checkpoint.ts';
import { MAX_SOURCE_RESTARTS, restartOnSourceChange } from './source-change.ts';
import { type TransferContext, TransferProgress } from './transfer-context.ts';

describe('restartOnSourceChange', () => {
  const redis = newRedis();
  const s3 = newS3Client();
  afterAll(() => {
    redis.disconnect();
    s3.destroy();
  });

  /** Only what restarting touches: the checkpoint to forget, progress, the signals and the policy. */
  const context = (onSourceChange: 'restart' | 'fail', stop = new AbortController()) =>
    ({
      importId: uniqueName('imp'),
      checkpoints: new CheckpointStore(redis, new StoreKeys(uniqueName('queue'))),
      s3,
      onSourceChange,
      stop: stop.signal,
      abort: new AbortController().signal,
      progress: new TransferProgress(),
      logger: createLogger('test', 'silent'),
    }) as unknown as TransferContext;

  const changing = () => {
    let calls = 0;
    return {
      attempt: async () => {
        calls++;
        throw permanentError(ErrorCode.SOURCE_CHANGED, 'changed');
      },
      calls: () => calls,
    };
  };

  it(`starts over at most ${MAX_SOURCE_RESTARTS} times, then fails with SOURCE_CHANGED`, async () => {
    const source = changing();
    await expect(restartOnSourceChange(context('restart'), source.attempt)).rejects.toMatchObject({
      code: ErrorCode.SOURCE_CHANGED,
    });
    expect(source.calls()).toBe(1 + MAX_SOURCE_RESTARTS);
  });

  it('returns the attempt that succeeds after a change, with progress reset in between', async () => {
    const ctx = context('restart');
    let calls = 0;
    const outcome = await restartOnSourceChange(ctx, async () => {
      calls++;
      if (calls === 1) {
        ctx.progress.done = 123;
        throw permanentError(ErrorCode.SOURCE_CHANGED, 'changed');
      }
      return { kind: 'interrupted' };
    });
    expect(outcome).toEqual({ kind: 'interrupted' });
    expect(calls).toBe(2);
    expect(ctx.progress.done).toBe(0);
  });

  it('does not start over with ON_SOURCE_CHANGE=fail, while draining, or for other errors', async () => {
    const fail = changing();
    await expect(restartOnSourceChange(context('fail'), fail.attempt)).rejects.toMatchObject({
      code: ErrorCode.SOURCE_CHANGED,
    });
    expect(fail.calls()).toBe(1);

    const stop = new AbortController();
    stop.abort();
    const draining = changing();
    await expect(restartOnSourceChange(context('restart', stop), draining.attempt)).rejects.toThrow();
    expect(draining.calls()).toBe(1);

    let calls = 0;
    await expect(
      restartOnSourceChange(context('restart'), async () => {
        calls++;
        throw transientError(ErrorCode.SOURCE_SERVER_ERROR, 'down');
      }),
    ).rejects.toMatchObject({ code: ErrorCode.SOURCE_SERVER_ERROR });
    expect(calls).toBe(1);
  });
});
