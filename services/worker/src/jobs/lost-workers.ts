import type { ImportStore } from '@ferry/shared';
import type { CheckpointStore } from '../transfer/checkpoint.ts';

export interface LostAttemptsCount {
  /**
   * Attempts in a row, up to this one's start, that lost their worker after moving bytes but
   * without checkpointing a part.
   */
  idle: number;
  /** Keeps this start on the record, for the next attempt's count: once the record says running. */
  save(): Promise<void>;
}

/**
 * How many attempts of an import in a row lost their worker (SIGKILL, out of memory, a host gone)
 * while moving bytes but before checkpointing a part: what says the import itself may be what kills
 * them. A lost attempt that checkpointed parts before it died is no such sign — on Spot capacity
 * under churn a long import can lose many workers and still get there — so it starts the count
 * again. Nor is one that moved no byte at all: it was waiting (for one of its account's download
 * slots, a pause, the memory budget) when its worker went, which says nothing about the import, and
 * fifty imports of one Dropbox account sharing eight slots wait a long time; it is not counted.
 * BullMQ's stall count says how many attempts were lost; the checkpoint's part count, kept on the
 * record at each attempt's start, and the bytes the attempt streamed, written with its progress,
 * say how far the lost one got.
 */
export async function countIdleLostAttempts(
  importId: string,
  stalledCounter: number,
  deps: { store: ImportStore; checkpoints: CheckpointStore },
): Promise<LostAttemptsCount> {
  const [tally, parts] = await Promise.all([
    deps.store.lostAttempts(importId),
    deps.checkpoints.partCount(importId),
  ]);
  const lost = Math.max(0, stalledCounter - tally.seenStalls);
  const progressed = tally.partsAtStart !== null && parts > tally.partsAtStart;
  // Not known (an older worker ran it): counted, as before.
  const movedBytes = tally.attemptBytes === null || tally.attemptBytes > 0;
  const idle = idleAfter(tally.idleLosses, lost, progressed, movedBytes);
  return {
    idle,
    save: () =>
      deps.store.setLostAttempts(importId, {
        seenStalls: stalledCounter,
        partsAtStart: parts,
        idleLosses: idle,
      }),
  };
}

/** The count of idle losses once `lost` more attempts are known to have lost their worker. */
function idleAfter(before: number, lost: number, progressed: boolean, movedBytes: boolean): number {
  if (lost === 0) return before;
  // A lost attempt that checkpointed a part starts the count again.
  if (progressed) return 0;
  // One that never streamed a byte was waiting, not running: it neither counts nor resets.
  if (!movedBytes) return before;
  return before + lost;
}
