import { inSpan, type Logger, SpanAttr } from '@ferry/shared';
import { type Span, SpanStatusCode } from '@opentelemetry/api';
import type { Actuator } from '../actuators/actuator.ts';
import type { Decision, PolicyConfig, PolicyState, Signals } from '../policy/types.ts';

/** The policy's signature (policy/decide.ts): pure, so the loop, the simulator and the tests agree. */
export type Decide = (
  signals: Signals,
  state: PolicyState,
  config: PolicyConfig,
) => { decision: Decision; state: PolicyState };

export type TickErrorCode = 'SIGNALS_UNAVAILABLE' | 'POLICY_FAILED' | 'APPLY_FAILED';

/** What one tick saw, decided and did. */
export interface TickRecord {
  /** Milliseconds since the epoch when the tick started. */
  at: number;
  signals: Signals | null;
  decision: Decision | null;
  /** Whether the actuator carried the decision out. */
  applied: boolean;
  error: { code: TickErrorCode; message: string } | null;
}

export interface ControlLoopOptions {
  intervalMs: number;
  readSignals: (now: number) => Promise<Signals>;
  actuator: Actuator;
  decide: Decide;
  config: PolicyConfig;
  initialState: PolicyState;
  logger: Logger;
  now?: () => number;
  /** Called after every tick (status, metrics); its failures are logged, never fatal. */
  onTick?: (record: TickRecord) => void | Promise<void>;
  /** Decisions kept for /status. */
  historySize?: number;
}

export interface ControlLoop {
  /** The last tick's record; null before the first tick ends. */
  latest(): TickRecord | null;
  /** The last decisions, newest first. */
  history(): Decision[];
  /** Ticks finished so far. */
  readonly ticks: number;
  /** Stops ticking and waits for a tick in progress; the fleet is left as it is. */
  close(): Promise<void>;
}

/**
 * Every interval: read the signals, decide, apply. Ticks never overlap: one that overruns the
 * interval delays the next, which then starts at once. A tick that cannot read its signals decides
 * nothing (scaling on half the facts is worse than waiting an interval); a failed apply is retried
 * by the next tick's decision, since applying is idempotent.
 */
export function startControlLoop(options: ControlLoopOptions): ControlLoop {
  const now = options.now ?? Date.now;
  const historySize = options.historySize ?? 20;
  const { logger, actuator } = options;
  let state = options.initialState;
  let latest: TickRecord | null = null;
  const history: Decision[] = [];
  let ticks = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  /** The earliest time, on `now()`, the next tick may start. */
  let nextAt = Number.NEGATIVE_INFINITY;

  const tick = async (at: number): Promise<TickRecord> => {
    let signals: Signals;
    try {
      signals = await options.readSignals(at);
    } catch (error) {
      return failed(at, null, null, 'SIGNALS_UNAVAILABLE', error);
    }
    let decision: Decision;
    try {
      const outcome = options.decide(signals, state, options.config);
      decision = outcome.decision;
      state = outcome.state;
    } catch (error) {
      return failed(at, signals, null, 'POLICY_FAILED', error);
    }
    history.unshift(decision);
    history.length = Math.min(history.length, historySize);
    try {
      await actuator.apply(decision.desired);
    } catch (error) {
      return failed(at, signals, decision, 'APPLY_FAILED', error);
    }
    const previous = history[1]?.desired;
    const fields = { current: decision.current, desired: decision.desired, reason: decision.reason };
    if (previous === undefined || decision.desired !== previous) logger.info(fields, 'desired workers');
    else logger.debug(fields, 'desired workers unchanged');
    return { at, signals, decision, applied: true, error: null };
  };

  const failed = (
    at: number,
    signals: Signals | null,
    decision: Decision | null,
    code: TickErrorCode,
    error: unknown,
  ): TickRecord => {
    const message = error instanceof Error ? error.message : String(error);
    logger.warn({ code, err: error }, 'autoscaler tick failed');
    return { at, signals, decision, applied: false, error: { code, message } };
  };

  const run = async (): Promise<void> => {
    const startedAt = now();
    // One span per decision: what was decided, from what, and whether it was carried out.
    const record = await inSpan('ferry.autoscaler.decision', {}, async (span) => {
      const outcome = await tick(startedAt);
      if (span) describeTick(span, outcome);
      return outcome;
    });
    latest = record;
    ticks++;
    try {
      await options.onTick?.(record);
    } catch (error) {
      logger.warn({ err: error }, 'could not publish the tick');
    }
    nextAt = startedAt + options.intervalMs;
    if (!closed) timer = setTimeout(start, Math.max(0, nextAt - now()));
  };

  function start(): void {
    // Timers run on the event loop's cached clock, which lags the wall clock on a busy loop: one
    // can fire a few ms early by `now()`. The policy's rate limits count changes per period on
    // `now()`, so a tick that started early would still see the last change inside the period.
    const early = nextAt - now();
    if (early > 0) {
      timer = setTimeout(start, early);
      return;
    }
    running = run().finally(() => {
      running = null;
    });
  }
  start();

  return {
    latest: () => latest,
    history: () => [...history],
    get ticks() {
      return ticks;
    },
    close: async () => {
      closed = true;
      clearTimeout(timer);
      await running;
    },
  };
}

function describeTick(span: Span, record: TickRecord): void {
  const { decision, signals, error } = record;
  if (decision) {
    span.setAttributes({
      [SpanAttr.CURRENT_WORKERS]: decision.current,
      [SpanAttr.DESIRED_WORKERS]: decision.desired,
      [SpanAttr.SCALE_REASON]: decision.reason,
    });
  }
  if (signals) span.setAttribute('ferry.autoscaler.running', signals.currentWorkers);
  span.setAttribute('ferry.autoscaler.applied', record.applied);
  if (error) {
    span.setAttribute('error.type', error.code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.code });
  }
}
