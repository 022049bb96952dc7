import type { Clock } from './clock.ts';
import { EmulatorError } from './emulator-error.ts';

export interface RateLimit {
  /** Requests one account may make in any sliding 1-second window. */
  requestsPerSecond: number;
  /** Seconds a client is told to wait when over the limit (whole seconds, as Retry-After carries). */
  retryAfterS?: number;
}

/** A span in which the emulator told `account` to wait: 429 sent at `from`, retries allowed at `until`. */
export interface PauseWindow {
  account: string;
  from: number;
  until: number;
  /** When the requests that filled the window arrived (ms since the epoch): how they bunched. */
  window: number[];
}

export type Admission = { admitted: true } | { admitted: false; retryAfterS: number };

const WINDOW_MS = 1000;

/**
 * Per-account sliding-window limit. Once an account is told to wait, every request it sends before
 * the wait is over is refused too (with the time left), as a provider that enforces its Retry-After
 * would; refused requests do not fill the window.
 */
export class AccountRateLimiter<L extends RateLimit> {
  readonly #clock: Clock;
  #limit: L | null = null;
  readonly #admitted = new Map<string, number[]>();
  readonly #active = new Map<string, PauseWindow>();
  #pauses: PauseWindow[] = [];

  constructor(clock: Clock, limit: L | null) {
    this.#clock = clock;
    this.setLimit(limit);
  }

  get limit(): L | null {
    return this.#limit;
  }

  /** Replaces the limit; `null` lifts it, and with it any wait in force. */
  setLimit(limit: L | null): void {
    if (limit !== null) {
      if (!Number.isSafeInteger(limit.requestsPerSecond) || limit.requestsPerSecond < 1) {
        throw new EmulatorError('EMULATOR_BAD_INPUT', 'rateLimit.requestsPerSecond must be an integer >= 1');
      }
      if (
        limit.retryAfterS !== undefined &&
        (!Number.isSafeInteger(limit.retryAfterS) || limit.retryAfterS < 1)
      ) {
        throw new EmulatorError('EMULATOR_BAD_INPUT', 'rateLimit.retryAfterS must be an integer >= 1');
      }
    } else {
      this.#active.clear();
    }
    this.#limit = limit;
  }

  admit(account: string): Admission {
    const limit = this.#limit;
    if (limit === null) return { admitted: true };
    const now = this.#clock();
    const active = this.#active.get(account);
    if (active !== undefined && now < active.until) {
      return { admitted: false, retryAfterS: Math.max(1, Math.ceil((active.until - now) / 1000)) };
    }
    const times = this.#admitted.get(account) ?? [];
    while (times.length > 0 && (times[0] ?? 0) <= now - WINDOW_MS) times.shift();
    if (times.length < limit.requestsPerSecond) {
      times.push(now);
      this.#admitted.set(account, times);
      return { admitted: true };
    }
    const retryAfterS = limit.retryAfterS ?? 1;
    const pause = { account, from: now, until: now + retryAfterS * 1000, window: [...times] };
    this.#active.set(account, pause);
    this.#pauses.push(pause);
    return { admitted: false, retryAfterS };
  }

  pauses(): PauseWindow[] {
    return this.#pauses.map((pause) => ({ ...pause, window: [...pause.window] }));
  }

  clearHistory(): void {
    this.#pauses = [];
  }
}
