import { ErrorCode, errorType, SpanAttr } from '@ferry/shared';
import { trace } from '@opentelemetry/api';
import { BLOCK_SIZE } from '../bytes/memory-budget.ts';
import { type PartStream, toPartStream } from '../bytes/part-stream.ts';
import { permanentError, TransferError, toTransferError } from '../errors/transfer-error.ts';
import type { StoredPart, UploadRef } from '../sink/sink-types.ts';
import { SourceReadFailed } from '../sink/upload-part.ts';
import type { SourceMetadata } from '../sources/source.ts';
import { toSourceError } from '../sources/source-error.ts';
import type { PartDigestHasher, PartDigests } from './digest-checks.ts';
import { type PartRange, partLength } from './plan-parts.ts';
import type { TransferContext } from './transfer-context.ts';

/**
 * Memory one streamed part holds between the source socket and the S3 socket. Enough to keep both
 * sockets busy (the kernel buffers more on each side); the part's size does not matter.
 */
export const PART_WINDOW_BYTES = 1024 * 1024;

/**
 * Budget for a part held whole: its bytes, the tail of each block a socket read leaves unfilled
 * (the HTTP client retires a block with less than 16 KiB free: at most 1/16 of it), and two blocks
 * for the response head and the last block.
 */
function wholePartLease(length: number): number {
  return Math.ceil((length * 17) / 16) + 2 * BLOCK_SIZE;
}

/**
 * One try at one part: once the worker's memory budget has room for it, a ranged GET streamed
 * straight into UploadPart. The bytes pass once through the worker, into budget buffers from the
 * source socket and out to the S3 socket; the sink makes sure S3 holds exactly them. A part is held
 * whole only where the endpoint verifies nothing but checksums sent before the body (`header`
 * mode). A source answer shorter or longer than the part fails the try (retried).
 */
export async function uploadPart(
  ctx: TransferContext,
  upload: UploadRef,
  metadata: SourceMetadata,
  part: PartRange,
  signal: AbortSignal,
  hasher: PartDigestHasher | null = null,
): Promise<StoredPart & PartDigests> {
  const length = partLength(part);
  const profile = await ctx.sink.profile(upload.bucket, signal);
  const memory = profile.mode === 'header' ? wholePartLease(length) : PART_WINDOW_BYTES;
  if (memory > ctx.memory.total) {
    throw permanentError(
      ErrorCode.DESTINATION_UNSUPPORTED,
      `part ${part.partNumber} of ${length} bytes must be held whole for this S3 endpoint (checksum mode header), and WORKER_MEMORY_BUDGET_MIB holds ${ctx.memory.total} bytes`,
    );
  }
  // A drain stops parts still waiting for budget from starting at all.
  const lease = await ctx.memory.acquire(memory, AbortSignal.any([signal, ctx.stop]));
  let counted = 0;
  let stream: PartStream | null = null;
  try {
    const span = trace.getActiveSpan();
    stream = toPartStream(await ctx.source.readRange(part.start, part.end, metadata, signal, lease));
    span?.addEvent('source read started');
    const stored = await ctx.sink.uploadPart(
      upload,
      part.partNumber,
      {
        stream,
        length,
        onBytes: (count) => {
          counted += count;
          ctx.progress.done += count;
          ctx.progress.streamed += count;
          ctx.meter.bytesMoved(count);
        },
        ...(hasher ? { onChunk: (chunk: Buffer) => hasher.update(chunk) } : {}),
      },
      signal,
    );
    span?.addEvent('uploaded', { [SpanAttr.BYTES]: counted });
    return { ...stored, ...hasher?.finish() };
  } catch (error) {
    trace.getActiveSpan()?.addEvent('try failed', { 'error.type': errorType(error) });
    ctx.progress.done -= counted;
    // The sink owns the stream once it has it, but a failure before it started leaves it to us.
    stream?.destroy();
    if (signal.aborted) throw error;
    if (error instanceof SourceReadFailed) throw toSourceError(error.cause);
    if (error instanceof TransferError) throw error;
    throw toTransferError(error);
  } finally {
    lease.release();
  }
}
