import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from './clock.ts';
import { type CorruptFault, DownloadFaults, type ResetFault, type SlowFault } from './download-faults.ts';
import { Exchange } from './exchange.ts';
import { AccountRateLimiter, type PauseWindow, type RateLimit } from './rate-limiter.ts';
import { type EmulatorStats, RequestLog, type RequestRecord, requestsDuringPauses } from './request-log.ts';
import { type TokenFormat, TokenRegistry } from './token-registry.ts';

/** The account that owns files and tokens when a test does not name one. */
export const DEFAULT_ACCOUNT = 'default';

/** Runtime controls and observations both emulators offer. */
export interface EmulatorControls<L extends RateLimit> {
  /** Every finished request, in arrival order. */
  requests(): RequestRecord[];
  /** Every wait the emulator imposed, in order. */
  pauses(): PauseWindow[];
  /** Requests that arrived inside a wait more than `graceMs` after it began. */
  requestsDuringPauses(options: { graceMs: number }): RequestRecord[];
  stats(): EmulatorStats;
  /** Forgets the request log and the recorded pauses; waits in force still hold. */
  resetStats(): void;
  /** Replaces the per-account limit; null lifts it. */
  setRateLimit(limit: L | null): void;
  resetMidStream(fault: ResetFault): void;
  /** Inverts one byte of the next downloads: whole-looking answers that fail the file's digest. */
  corruptNextDownloads(fault: CorruptFault): void;
  /** Throttles every download from now on; null removes the throttle. */
  slowStream(fault: SlowFault | null): void;
  expireToken(token: string): void;
  /** Revokes an access token or a refresh token. */
  revokeToken(token: string): void;
}

export type Gate =
  | { ok: true; account: string }
  | { ok: false; reason: 'missing' | 'invalid' | 'expired' }
  | {
      ok: false;
      reason: 'rate_limited';
      retryAfterS: number;
    };

export interface EmulatorCoreOptions<L extends RateLimit> {
  clock?: Clock;
  rateLimit?: L | null;
  tokens: TokenFormat;
  /** Endpoints outside the rate limit (the OAuth token endpoint): requests there never break a wait. */
  unlimitedEndpoints: readonly string[];
}

/** What both emulators share: clock, tokens, rate limit, download faults and the request log. */
export class EmulatorCore<L extends RateLimit> {
  readonly clock: Clock;
  readonly tokens: TokenRegistry;
  readonly limiter: AccountRateLimiter<L>;
  readonly faults = new DownloadFaults();
  readonly #log = new RequestLog();
  readonly #open = new Set<Promise<void>>();
  readonly #unlimited: ReadonlySet<string>;

  constructor(options: EmulatorCoreOptions<L>) {
    this.clock = options.clock ?? Date.now;
    this.#unlimited = new Set(options.unlimitedEndpoints);
    this.tokens = new TokenRegistry(this.clock, options.tokens);
    this.limiter = new AccountRateLimiter(this.clock, options.rateLimit ?? null);
  }

  /** Starts an exchange, logged once its answer is over (sent, cut or abandoned). */
  track(req: IncomingMessage, res: ServerResponse): Exchange {
    const exchange = new Exchange(req, res, this.clock());
    const logged = new Promise<void>((resolve) => {
      res.once('close', () => {
        const range = req.headers.range;
        this.#log.record({
          at: exchange.at,
          endpoint: exchange.endpoint,
          account: exchange.account,
          status: res.headersSent ? res.statusCode : 0,
          ...(range === undefined ? {} : { range }),
          bytesSent: exchange.bytesSent,
          rateLimited: exchange.rateLimited,
          completed: res.writableFinished,
        });
        resolve();
      });
    });
    this.#open.add(logged);
    void logged.then(() => this.#open.delete(logged));
    return exchange;
  }

  /** Resolves once every exchange begun so far is in the request log (after the server cut them). */
  async settled(): Promise<void> {
    await Promise.all(this.#open);
  }

  /** Authenticates the bearer token, then counts the request against its account's limit. */
  gate(exchange: Exchange): Gate {
    const token = exchange.bearerToken();
    if (token === null) return { ok: false, reason: 'missing' };
    const auth = this.tokens.authenticate(token);
    if (!auth.ok) return auth;
    exchange.account = auth.account;
    const admission = this.limiter.admit(auth.account);
    if (!admission.admitted) {
      exchange.rateLimited = true;
      return { ok: false, reason: 'rate_limited', retryAfterS: admission.retryAfterS };
    }
    return { ok: true, account: auth.account };
  }

  controls(): EmulatorControls<L> {
    return {
      requests: () => this.#log.all(),
      pauses: () => this.limiter.pauses(),
      requestsDuringPauses: ({ graceMs }) =>
        requestsDuringPauses(
          this.#log.all().filter((entry) => !this.#unlimited.has(entry.endpoint)),
          this.limiter.pauses(),
          graceMs,
        ),
      stats: () => this.#log.stats(),
      resetStats: () => {
        this.#log.clear();
        this.limiter.clearHistory();
      },
      setRateLimit: (limit) => this.limiter.setLimit(limit),
      resetMidStream: (fault) => this.faults.resetMidStream(fault),
      corruptNextDownloads: (fault) => this.faults.corruptNextDownloads(fault),
      slowStream: (fault) => this.faults.slowStream(fault),
      expireToken: (token) => this.tokens.expire(token),
      revokeToken: (token) => this.tokens.revoke(token),
    };
  }
}
