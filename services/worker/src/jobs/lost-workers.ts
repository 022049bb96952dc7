import type { ImportStore } from '@ferry/shared';
import type { CheckpointStore } from '../transfer/checkpoint.ts';

export interface LostAttemptsCount {
  /** Attempts in a row, up to this one's start, that lost their worker without moving a part. */
  idle: number;
  /** Keeps this start on the record, for the next attempt's count: once the record says running. */
  save(): Promise<void>;
}

/**
 * How many attempts of an import in a row lost their worker (SIGKILL, out of memory, a host gone)
 * without moving a part: what says the import itself may be what kills them. A lost attempt that
 * checkpointed parts before it died is no such sign — on Spot capacity under churn a long import can
 * lose many workers and still get there — so it starts the count again. BullMQ's stall count says
 * how many attempts were lost; the checkpoint's part count, kept on the record at each attempt's
 * start, says whether the lost one got anywhere.
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
  const idle = lost === 0 ? tally.idleLosses : progressed ? 0 : tally.idleLosses + lost;
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
