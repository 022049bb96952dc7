import type { PauseWindow } from './rate-limiter.ts';

export interface RequestRecord {
  /** When the request arrived, in ms since the epoch on the emulator's clock. */
  at: number;
  endpoint: string;
  /** Owner of the request's token; null when it had no valid one. */
  account: string | null;
  /** Status of the answer; 0 when the client went away before one was sent. */
  status: number;
  /** The Range header as sent. */
  range?: string;
  /** Body bytes handed to the socket. */
  bytesSent: number;
  /** Whether this answer told the client to wait (429, or Drive's 403 userRateLimitExceeded). */
  rateLimited: boolean;
  /** Whether the whole answer was sent (false when a fault or the client cut it). */
  completed: boolean;
}

export interface EmulatorStats {
  requests: number;
  byEndpoint: Record<string, number>;
  /** Keyed by status code as a string. */
  byStatus: Record<string, number>;
  /** Answers that told a client to wait. */
  rateLimited: number;
  bytesSent: number;
}

/** Every finished request of one emulator, kept in arrival order. */
export class RequestLog {
  #records: RequestRecord[] = [];

  record(entry: RequestRecord): void {
    this.#records.push(entry);
  }

  all(): RequestRecord[] {
    return this.#records.map((entry) => ({ ...entry })).sort((a, b) => a.at - b.at);
  }

  clear(): void {
    this.#records = [];
  }

  stats(): EmulatorStats {
    const stats: EmulatorStats = { requests: 0, byEndpoint: {}, byStatus: {}, rateLimited: 0, bytesSent: 0 };
    for (const entry of this.#records) {
      stats.requests += 1;
      stats.byEndpoint[entry.endpoint] = (stats.byEndpoint[entry.endpoint] ?? 0) + 1;
      stats.byStatus[String(entry.status)] = (stats.byStatus[String(entry.status)] ?? 0) + 1;
      if (entry.rateLimited) stats.rateLimited += 1;
      stats.bytesSent += entry.bytesSent;
    }
    return stats;
  }
}

/**
 * Requests an account sent while it had been told to wait, ignoring the first `graceMs` of each
 * wait: requests already on their way when the 429 went out are not the client's fault.
 */
export function requestsDuringPauses(
  records: readonly RequestRecord[],
  pauses: readonly PauseWindow[],
  graceMs: number,
): RequestRecord[] {
  return records.filter((entry) =>
    pauses.some(
      (pause) => pause.account === entry.account && entry.at > pause.from + graceMs && entry.at < pause.until,
    ),
  );
}
