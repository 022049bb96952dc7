import type { ImportRecord } from '@ferry/shared';

interface Waiting {
  record: ImportRecord;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Single submits that reach the write in the same turn of the event loop are written together, as
 * one batch: one MULTI and one feeding pass for all of them instead of one of each per submit.
 * Under load most of a submit's CPU went to those round trips; idle, a submit waits for nothing
 * but the end of the current turn (setImmediate).
 *
 * Nothing a submit promises changes: the batch's records are written as a batch's are (createImports:
 * lined up for the feeder in one MULTI, fed in order), and each submit learns its batch's outcome.
 * A failed write fails every submit in it, as it would have failed each of them alone (Redis
 * refusing or away).
 */
export class CoalescedSubmits {
  readonly #write: (records: ImportRecord[]) => Promise<void>;
  #waiting: Waiting[] = [];

  constructor(write: (records: ImportRecord[]) => Promise<void>) {
    this.#write = write;
  }

  /** Resolves once the record is written (and fed, while the window has room), with the others of its turn. */
  submit(record: ImportRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#waiting.length === 0) setImmediate(() => this.#flush());
      this.#waiting.push({ record, resolve, reject });
    });
  }

  #flush(): void {
    const batch = this.#waiting;
    this.#waiting = [];
    this.#write(batch.map((waiting) => waiting.record)).then(
      () => {
        for (const waiting of batch) waiting.resolve();
      },
      (error: unknown) => {
        for (const waiting of batch) waiting.reject(error);
      },
    );
  }
}
