import { ErrorCode } from '@ferry/shared';
import { toTransferError } from '../errors/transfer-error.ts';
import { discardUpload } from './discard-upload.ts';
import type { TransferContext, TransferOutcome } from './transfer-context.ts';

/** A source rewritten more often than this during one attempt fails with SOURCE_CHANGED after all. */
export const MAX_SOURCE_RESTARTS = 3;

/**
 * ON_SOURCE_CHANGE=restart: when the source turns out to have changed (a ranged read answered for
 * another version, or the version check before completing), abort the upload made of the old
 * version's parts, forget its checkpoint and import the new version from the start. The parts of
 * the two versions never meet in one upload. With `fail`, or once the source has changed
 * MAX_SOURCE_RESTARTS times, SOURCE_CHANGED fails the import (whose cleanup aborts the upload).
 */
export async function restartOnSourceChange(
  ctx: TransferContext,
  attempt: () => Promise<TransferOutcome>,
): Promise<TransferOutcome> {
  for (let restarts = 0; ; restarts++) {
    try {
      return await attempt();
    } catch (error) {
      const failure = toTransferError(error);
      const restart =
        failure.code === ErrorCode.SOURCE_CHANGED &&
        ctx.onSourceChange === 'restart' &&
        restarts < MAX_SOURCE_RESTARTS &&
        !ctx.stop.aborted &&
        !ctx.abort.aborted;
      if (!restart) throw error;
      ctx.logger.warn({ reason: failure.message, restarts: restarts + 1 }, 'source changed; starting over');
      await discardUpload(ctx.importId, ctx);
      ctx.progress.done = 0;
      ctx.progress.total = null;
    }
  }
}
