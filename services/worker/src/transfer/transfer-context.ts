import type { ExpectedChecksums, Failpoints, ImportResult, Logger, OverwritePolicy } from '@ferry/shared';
import type { MemoryBudget } from '../bytes/memory-budget.ts';
import type { TransferMeter } from '../metrics/worker-metrics.ts';
import type { S3Sink } from '../sink/s3-sink.ts';
import type { Source } from '../sources/source.ts';
import type { BackoffPolicy } from './backoff.ts';
import type { CheckpointStore } from './checkpoint.ts';

/** Bytes moved so far; the job's progress reporter reads it once a second. */
export class TransferProgress {
  /** The import's bytes done: a resumed attempt starts from its checkpoint's. */
  done = 0;
  total: number | null = null;
  /** Bytes this attempt streamed, parts that failed included: did it get to move anything? */
  streamed = 0;
}

export interface TransferContext {
  importId: string;
  destination: { bucket: string; key: string };
  source: Source;
  /** What the request says the source's bytes are: checked before completing. */
  expected: ExpectedChecksums | undefined;
  /** What happens when the destination key already holds an object. */
  overwrite: OverwritePolicy;
  /** The destination: every S3 call goes through it. */
  sink: S3Sink;
  checkpoints: CheckpointStore;
  /** The worker's budget of part bytes in memory, shared by all its imports. */
  memory: MemoryBudget;
  /** What a source that changes mid-import does: start over on the new version, or fail. */
  onSourceChange: 'restart' | 'fail';
  /** Preferred part size in bytes (grown for very large objects). */
  partSize: number;
  partConcurrency: number;
  /** Tries per part (and per metadata request) before the job itself fails the attempt. */
  partTries: number;
  partBackoff: BackoffPolicy;
  /** Drain: start no new parts; the ones in flight finish and are checkpointed. */
  stop: AbortSignal;
  /** Cancel, or the drain deadline: every request stops now. */
  abort: AbortSignal;
  progress: TransferProgress;
  /** The worker's metrics of this import's bytes and retries. */
  meter: TransferMeter;
  logger: Logger;
  /** Crash tests' named points (FERRY_FAILPOINTS): upload.after-create, part.after-upload, upload.after-complete. */
  failpoints: Failpoints;
  random: () => number;
  now: () => number;
}

export type TransferOutcome =
  | { kind: 'completed'; result: ImportResult }
  /** Stopped or aborted before the end; the checkpoint holds the finished parts. */
  | { kind: 'interrupted' };
