import type { Logger } from '@ferry/shared';
import type { S3Sink } from '../sink/s3-sink.ts';
import { abortAnnouncedUpload } from './begin-upload.ts';
import type { CheckpointStore } from './checkpoint.ts';

/**
 * Gives up an import's multipart upload for good (failed, canceled, or the source changed): aborts
 * it in S3 so its parts stop costing storage (or the one an attempt made and never recorded), then
 * forgets the checkpoint.
 */
export async function discardUpload(
  importId: string,
  deps: { sink: S3Sink; checkpoints: CheckpointStore; logger: Logger },
): Promise<void> {
  const checkpoint = await deps.checkpoints.load(importId);
  if (checkpoint) await deps.sink.abortQuietly(checkpoint, deps.logger);
  else await abortAnnouncedUpload({ importId, ...deps });
  await deps.checkpoints.delete(importId);
}
