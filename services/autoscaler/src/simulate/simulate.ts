import { decide } from '../policy/decide.ts';
import { historyHorizonS, initialPolicyState } from '../policy/policy-state.ts';
import type { PolicyConfig, Signals } from '../policy/types.ts';
import { type FleetModel, SimulatedFleet } from './simulated-fleet.ts';
import type { TraceRow } from './trace.ts';

/** The fleet and the policy at one control tick. */
export interface SimulationPoint {
  /** Seconds since the start of the trace. */
  t: number;
  /** Imports that arrived since the previous point. */
  arrivals: number;
  /** Waiting + active jobs. */
  backlog: number;
  waiting: number;
  active: number;
  /** Workers taking jobs, once this tick's decision is carried out (idle ones leave at once). */
  currentWorkers: number;
  /** Workers asked for and still starting, this tick's included. */
  pendingWorkers: number;
  desired: number;
  reason: string;
  /** Worker-seconds used so far, starting and draining workers included: what the fleet costs. */
  workerSeconds: number;
}

export interface SimulationOptions {
  /** The control interval (SCALE_INTERVAL_S); default 15 s. */
  intervalS?: number;
  /** Wall-clock time of t = 0, ms since the epoch, for scheduled minimums; default 0 (1970-01-01 UTC). */
  startAt?: number;
  /** Stop here rather than when the fleet has settled after the trace. */
  endS?: number;
}

/** Far enough for any trace to drain; a policy that never settles still ends. */
const MAX_OVERRUN_S = 7 * 24 * 3600;

/**
 * Replays a trace through `decide` with a simulated fleet, one second at a time with a decision
 * every control interval. Without `endS` it runs until the trace is over, the backlog is gone and
 * neither work nor a change has been seen for longer than any window, rate period or cooldown.
 */
export function simulate(
  trace: readonly TraceRow[],
  config: PolicyConfig,
  model: FleetModel,
  options: SimulationOptions = {},
): SimulationPoint[] {
  const intervalS = options.intervalS ?? 15;
  const startAt = options.startAt ?? 0;
  const lastArrivalS = trace.at(-1)?.t ?? 0;
  const quietS =
    historyHorizonS(config) + (config.minWorkers === 0 ? config.scaleToZeroCooldownS : 0) + intervalS;
  const endS = options.endS ?? lastArrivalS + MAX_OVERRUN_S;

  const fleet = new SimulatedFleet(model, model.initialWorkers ?? config.minWorkers);
  const series: SimulationPoint[] = [];
  let state = initialPolicyState();
  let next = 0;
  let arrivals = 0;
  let workerSeconds = 0;
  // The last tick that changed the fleet or had work: settling is measured from the later one.
  let lastEventS = 0;
  for (let t = 0; t <= endS; t += 1) {
    while (next < trace.length && (trace[next] as TraceRow).t === t) {
      const row = trace[next] as TraceRow;
      fleet.enqueue(t, row.arrivals, row.jobDurationS ?? model.jobDurationS);
      arrivals += row.arrivals;
      next += 1;
    }
    fleet.step(t);
    if (t % intervalS === 0) {
      const signals: Signals = {
        at: startAt + t * 1000,
        queues: [
          {
            queue: 'imports',
            waiting: fleet.waiting(),
            prioritized: 0,
            active: fleet.active(),
            delayedDue: 0,
            unfed: 0,
            oldestWaitingAgeS: fleet.oldestWaitingAgeS(t),
          },
        ],
        workerConcurrency: model.concurrency,
        currentWorkers: fleet.running(t),
        pendingWorkers: fleet.pending(t),
      };
      const result = decide(signals, state, config);
      state = result.state;
      const { desired, current, reason } = result.decision;
      if (desired !== current || signals.queues[0]?.waiting || signals.queues[0]?.active) lastEventS = t;
      fleet.scaleTo(desired, t);
      fleet.step(t);
      const waiting = fleet.waiting();
      const active = fleet.active();
      series.push({
        t,
        arrivals,
        backlog: waiting + active,
        waiting,
        active,
        currentWorkers: fleet.running(t),
        pendingWorkers: fleet.pending(t),
        desired,
        reason,
        workerSeconds,
      });
      arrivals = 0;
      const settled =
        options.endS === undefined &&
        t > lastArrivalS &&
        waiting + active === 0 &&
        fleet.alive() === desired &&
        t - lastEventS >= quietS;
      if (settled) break;
    }
    workerSeconds += fleet.alive();
  }
  return series;
}
