import type { Logger } from '@ferry/shared';
import { s3ErrorName } from '../sink/destination-error.ts';
import type { S3Sink } from '../sink/s3-sink.ts';
import type { StoredPart } from '../sink/sink-types.ts';
import type { Checkpoint, CheckpointStore, FinishedPart } from './checkpoint.ts';
import { partLength, planParts } from './plan-parts.ts';

export type Reconciliation =
  /** Nothing to reconcile: a fresh import. */
  | { kind: 'no-checkpoint' }
  /** The S3 server does not offer ListParts (or answered something else): the checkpoint alone counts. */
  | { kind: 'unsupported'; reason: string }
  /** ListParts failed this time (throttled, denied, S3 trouble): the checkpoint alone counts. */
  | { kind: 'unavailable'; reason: string }
  /** S3 no longer has the upload (aborted by a lifecycle rule, expired): the checkpoint is gone too. */
  | { kind: 'upload-gone'; uploadId: string }
  /**
   * S3 no longer has the upload, but the checkpoint holds every part: an attempt may have completed
   * it and died before recording so. The checkpoint stays; completing finds out (completedEarlier).
   */
  | { kind: 'maybe-completed'; uploadId: string }
  | { kind: 'reconciled'; uploadId: string; kept: number; adopted: number[]; dropped: number[] };

export interface ReconcileDeps {
  sink: S3Sink;
  checkpoints: CheckpointStore;
  logger: Logger;
  signal: AbortSignal;
  /** Parts per ListParts page (S3's maximum and default is 1,000). */
  pageSize?: number;
}

/**
 * Before a resumed attempt moves any part, checks the checkpoint against the parts S3 says the
 * upload holds. The checkpoint is written after S3 acknowledges a part, so a crash in between leaves
 * a part S3 has and the checkpoint lacks: it is adopted when its size is the planned one and S3
 * reports its CRC-32 (S3 verified that checksum on arrival), else fetched again. A part the
 * checkpoint names but S3 lacks, or holds with another ETag, must be fetched again: completing with
 * it would fail. An upload S3 no longer has means starting a new one, now, rather than failing an
 * attempt on the first UploadPart, unless every part was checkpointed: then it may have been
 * completed, which completing again finds out. Servers without ListParts (the local S3 server among them) keep
 * the checkpoint as it is.
 */
export async function reconcileCheckpoint(importId: string, deps: ReconcileDeps): Promise<Reconciliation> {
  const checkpoint = await deps.checkpoints.load(importId);
  if (!checkpoint) return { kind: 'no-checkpoint' };
  const logger = deps.logger.child({ uploadId: checkpoint.uploadId });

  const answer = await deps.sink.listParts(checkpoint, deps.signal, deps.pageSize);
  if (answer.kind !== 'listed') {
    const { kind: outcome, error } = answer;
    if (outcome === 'upload-gone') {
      if (holdsEveryPart(checkpoint)) {
        logger.info('the checkpointed upload is gone but every part was checkpointed: it may be complete');
        return { kind: 'maybe-completed', uploadId: checkpoint.uploadId };
      }
      await deps.checkpoints.delete(importId);
      logger.warn('the checkpointed multipart upload no longer exists in S3; starting a new one');
      return { kind: 'upload-gone', uploadId: checkpoint.uploadId };
    }
    const reason = describeError(error);
    if (outcome === 'unsupported') {
      logger.debug({ reason }, 'S3 does not offer ListParts; resuming from the checkpoint alone');
      return { kind: 'unsupported', reason };
    }
    logger.warn({ reason }, 'ListParts failed; resuming from the checkpoint alone');
    return { kind: 'unavailable', reason };
  }
  const listed = answer.parts;

  let planned: Map<number, number>;
  try {
    planned = new Map(
      planParts(checkpoint.size, checkpoint.partSize).map((part) => [part.partNumber, partLength(part)]),
    );
  } catch (error) {
    // Not a plan this worker would make; the transfer itself decides what to do with the checkpoint.
    return { kind: 'unavailable', reason: describeError(error) };
  }
  const { adopt, drop } = reconcileParts(checkpoint.parts, listed, planned);
  if (adopt.length > 0 || drop.length > 0) {
    const applied = await deps.checkpoints.reconcile(importId, checkpoint.uploadId, { drop, adopt });
    if (!applied) return { kind: 'unavailable', reason: 'the checkpoint changed while it was reconciled' };
  }
  const adopted = adopt.map((part) => part.partNumber);
  const changed = new Set([...adopted, ...drop]);
  const kept = [...checkpoint.parts.keys()].filter((n) => !changed.has(n)).length;
  if (adopt.length > 0 || drop.length > 0) {
    logger.info({ kept, adopted, dropped: drop }, 'checkpoint reconciled with ListParts');
  }
  return { kind: 'reconciled', uploadId: checkpoint.uploadId, kept, adopted, dropped: drop };
}

/**
 * What to change in a checkpoint so that it names exactly the parts S3 holds and can be completed
 * with: `drop` the parts S3 lacks (or holds differently and cannot be adopted), `adopt` the parts S3
 * holds that the checkpoint lacks or has with another ETag, where the size is the planned one and
 * the CRC-32 is known. Parts outside the plan are ignored: completion lists only planned parts.
 */
export function reconcileParts(
  checkpointed: ReadonlyMap<number, FinishedPart>,
  listed: readonly StoredPart[],
  plannedSizes: ReadonlyMap<number, number>,
): { adopt: FinishedPart[]; drop: number[] } {
  const inS3 = new Map(listed.map((part) => [part.partNumber, part]));
  const adopt: FinishedPart[] = [];
  const drop: number[] = [];
  const adoptable = (part: StoredPart): part is StoredPart & { crc32: number } =>
    plannedSizes.get(part.partNumber) === part.size && part.crc32 !== null && part.etag !== '';
  const toFinished = (part: StoredPart & { crc32: number }): FinishedPart => ({
    partNumber: part.partNumber,
    etag: part.etag,
    crc32: part.crc32,
    size: part.size,
  });

  for (const part of checkpointed.values()) {
    const held = inS3.get(part.partNumber);
    const same =
      held &&
      sameEtag(held.etag, part.etag) &&
      held.size === part.size &&
      (held.crc32 === null || held.crc32 === part.crc32);
    if (same) continue;
    if (held && adoptable(held)) adopt.push(toFinished(held));
    else drop.push(part.partNumber);
  }
  for (const held of listed) {
    if (!checkpointed.has(held.partNumber) && adoptable(held)) adopt.push(toFinished(held));
  }
  adopt.sort((a, b) => a.partNumber - b.partNumber);
  drop.sort((a, b) => a - b);
  return { adopt, drop };
}

/** Whether the checkpoint names every part of its plan (false for a plan this worker would not make). */
function holdsEveryPart(checkpoint: Checkpoint): boolean {
  try {
    return planParts(checkpoint.size, checkpoint.partSize).every((part) =>
      checkpoint.parts.has(part.partNumber),
    );
  } catch {
    return false;
  }
}

function sameEtag(a: string, b: string): boolean {
  return a.replaceAll('"', '') === b.replaceAll('"', '');
}

function describeError(error: unknown): string {
  const name = s3ErrorName(error) ?? (error as { name?: string } | null)?.name ?? 'Error';
  const message = (error as { message?: string } | null)?.message;
  return message && message !== name ? `${name}: ${message}` : name;
}
