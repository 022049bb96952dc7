/** Size of the buffers source bytes are read into: big enough for few reads, small enough to share. */
export const BLOCK_SIZE = 256 * 1024;

/**
 * The worker's budget of part bytes held in memory, shared by every import the process runs. A part
 * in flight holds a lease: a streamed part a small window of reusable blocks (its bytes between the
 * source socket and the S3 socket), the streaming fallback its whole buffered parts. A lease that
 * does not fit waits, first come first served, so a busy worker queues parts instead of piling
 * buffers up. Blocks are allocated on first use and kept for the next lease, so a worker moving
 * bytes allocates nothing per chunk and its memory stays at what its leases hold.
 */
export class MemoryBudget {
  readonly total: number;
  readonly blockSize: number;
  #reserved = 0;
  readonly #waiting: Waiter[] = [];
  /** Blocks no lease holds, kept for reuse; never more than the budget holds. */
  readonly #spare: Buffer[] = [];
  readonly #onWait: (seconds: number) => void;

  /** `onWait` hears how long each lease that had to wait waited (the worker's metrics). */
  constructor(totalBytes: number, blockSize = BLOCK_SIZE, onWait: (seconds: number) => void = () => {}) {
    if (!Number.isSafeInteger(totalBytes) || totalBytes < blockSize) {
      throw new RangeError(`a memory budget of ${totalBytes} bytes cannot hold one ${blockSize}-byte block`);
    }
    this.total = totalBytes;
    this.blockSize = blockSize;
    this.#onWait = onWait;
  }

  /** Bytes leased right now. */
  get reserved(): number {
    return this.#reserved;
  }

  /** Leases waiting for budget. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * A lease of `bytes` (at most the whole budget), once that much is free and every earlier request
   * has been served. Rejects with the signal's reason when it aborts first.
   */
  acquire(bytes: number, signal: AbortSignal): Promise<BufferLease> {
    const wanted = Math.min(Math.max(Math.ceil(bytes), 1), this.total);
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.#waiting.length === 0 && this.#reserved + wanted <= this.total) {
      return Promise.resolve(this.#grant(wanted));
    }
    return new Promise<BufferLease>((resolve, reject) => {
      const since = performance.now();
      const waiter: Waiter = {
        bytes: wanted,
        resolve: (lease) => {
          this.#onWait((performance.now() - since) / 1000);
          resolve(lease);
        },
        onAbort: () => {
          const index = this.#waiting.indexOf(waiter);
          if (index >= 0) this.#waiting.splice(index, 1);
          reject(signal.reason);
          // A large request leaving the head of the queue may unblock smaller ones behind it.
          this.#serve();
        },
        signal,
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  /** A block for a lease: a spare one when there is one. */
  takeSpareOrNew(): Buffer {
    return this.#spare.pop() ?? Buffer.allocUnsafeSlow(this.blockSize);
  }

  /** A block a lease no longer references. */
  keepSpare(block: Buffer): void {
    if ((this.#spare.length + 1) * this.blockSize <= this.total) this.#spare.push(block);
  }

  /** Called by a lease on release. */
  returnBytes(bytes: number): void {
    this.#reserved -= bytes;
    this.#serve();
  }

  #grant(bytes: number): BufferLease {
    this.#reserved += bytes;
    return new BufferLease(this, bytes);
  }

  #serve(): void {
    for (;;) {
      const head = this.#waiting[0];
      if (!head || this.#reserved + head.bytes > this.total) return;
      this.#waiting.shift();
      head.signal.removeEventListener('abort', head.onAbort);
      head.resolve(this.#grant(head.bytes));
    }
  }
}

interface Waiter {
  bytes: number;
  resolve: (lease: BufferLease) => void;
  onAbort: () => void;
  signal: AbortSignal;
}

/**
 * Part of the budget, held by one part in flight: up to `bytes / blockSize` blocks at a time. A block
 * handed back is reused by this lease or, after release, by the next. Blocks still out when the lease
 * is released (a request torn down while the kernel may still hold a write) are not reused: they are
 * left to the garbage collector, so no two owners ever share one.
 */
export class BufferLease {
  readonly bytes: number;
  readonly #budget: MemoryBudget;
  readonly #maxBlocks: number;
  readonly #free: Buffer[] = [];
  #out = 0;
  #released = false;
  /** Called when a block comes back while the lease had none free: a paused reader may go on. */
  onBlockReturned: (() => void) | null = null;

  constructor(budget: MemoryBudget, bytes: number) {
    this.#budget = budget;
    this.bytes = bytes;
    this.#maxBlocks = Math.max(1, Math.floor(bytes / budget.blockSize));
  }

  get blockSize(): number {
    return this.#budget.blockSize;
  }

  /** Whether takeBlock() would give a block now. */
  get canTake(): boolean {
    return !this.#released && (this.#free.length > 0 || this.#out < this.#maxBlocks);
  }

  /** A block of blockSize bytes, or null when the lease's blocks are all in use. */
  takeBlock(): Buffer | null {
    if (this.#released) return null;
    // Blocks out plus blocks free never exceed maxBlocks: a free one is reused before a new one.
    const block = this.#free.pop() ?? (this.#out < this.#maxBlocks ? this.#budget.takeSpareOrNew() : null);
    if (block) this.#out++;
    return block;
  }

  /** Hands back a block nothing references any more. */
  giveBlock(block: Buffer): void {
    if (this.#released) {
      this.#budget.keepSpare(block);
      return;
    }
    this.#out--;
    this.#free.push(block);
    this.onBlockReturned?.();
  }

  /** Returns the lease's bytes to the budget (idempotent). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.onBlockReturned = null;
    for (const block of this.#free.splice(0)) this.#budget.keepSpare(block);
    this.#budget.returnBytes(this.bytes);
  }
}
