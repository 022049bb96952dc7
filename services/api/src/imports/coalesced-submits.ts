import type { ImportRecord } from '@ferry/shared';

interface Waiting {
  record: ImportRecord;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Single submits that reach the write in the same turn of the event loop are written together, as
 * one batch: one MULTI, one addBulk and one ZREM for all of them instead of three round trips each.
 * Under load most of a submit's CPU went to those round trips; idle, a submit waits for nothing
 * but the end of the current turn (setImmediate).
 *
 * Nothing a submit promises changes: the batch's records and jobs are written as a batch's are
 * (createImports: records first, jobs ranked by fairPriorities as if submitted one after the other,
 * crash safety through requeueUnqueued), and each submit learns its batch's outcome. A failed write
 * fails every submit in it, as it would have failed each of them alone (Redis refusing or away).
 */
export class CoalescedSubmits {
  readonly #write: (records: ImportRecord[]) => Promise<void>;
  #waiting: Waiting[] = [];

  constructor(write: (records: ImportRecord[]) => Promise<void>) {
    this.#write = write;
  }

  /** Resolves once the record and its job are written, with the others of its turn. */
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
