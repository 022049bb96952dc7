/** A body arriving slower than the configured floor: the source is holding the part hostage. */
export class SlowSourceError extends Error {
  constructor(bytes: number, ms: number, minBytesPerSecond: number) {
    super(
      `source sent ${bytes} bytes in ${Math.round(ms)} ms, below the floor of ${minBytesPerSecond} bytes/s`,
    );
    this.name = 'SlowSourceError';
  }
}

/**
 * The slowloris guard of a body read: an idle timeout never fires for a source that sends a byte
 * just before it would, so the payload must also keep a minimum average rate over every window of
 * `windowMs` in which the reader was taking bytes. Time the reader held the body back (its consumer
 * paused, the memory budget full) is not the source's fault: each resume starts a new window.
 */
export class BodyPace {
  readonly #minBytesPerSecond: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  #windowStart: number;
  #bytes = 0;

  constructor(
    minBytesPerSecond: number,
    windowMs: number,
    now: () => number = performance.now.bind(performance),
  ) {
    this.#minBytesPerSecond = minBytesPerSecond;
    this.#windowMs = windowMs;
    this.#now = now;
    this.#windowStart = now();
  }

  /** Reading starts again after a hold: the window starts over. */
  restart(): void {
    this.#windowStart = this.#now();
    this.#bytes = 0;
  }

  /** Counts payload bytes that arrived; throws SlowSourceError once a whole window fell short. */
  count(bytes: number): void {
    if (this.#minBytesPerSecond <= 0) return;
    this.#bytes += bytes;
    const elapsed = this.#now() - this.#windowStart;
    if (elapsed < this.#windowMs) return;
    if (this.#bytes < (this.#minBytesPerSecond * elapsed) / 1000) {
      throw new SlowSourceError(this.#bytes, elapsed, this.#minBytesPerSecond);
    }
    this.restart();
  }
}
