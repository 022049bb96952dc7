import type { Signals } from '../policy/types.ts';

/** What one adapter knows: a part of the snapshot (queues are concatenated, other fields taken as given). */
export type SignalReading = Partial<Omit<Signals, 'at' | 'workerConcurrency'>>;

/** One backend the autoscaler reads signals from: BullMQ, SQS, ECS and CloudWatch, the local pool. */
export interface SignalSource {
  /** Names the source in logs and errors. */
  readonly name: string;
  /** Rejects when the source cannot be read; the tick is then skipped rather than decided blind. */
  read(now: number): Promise<SignalReading>;
  close(): Promise<void>;
}
