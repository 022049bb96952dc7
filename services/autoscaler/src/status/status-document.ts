import type { AutoscalerMode } from '../actuators/actuator.ts';
import type { LocalWorkerView } from '../actuators/local-actuator.ts';
import type { ControlLoop, TickRecord } from '../loop/control-loop.ts';
import type { Decision, Signals } from '../policy/types.ts';

/** GET /status, and what the autoscaler publishes in Redis for `ferry queues`. */
export interface StatusDocument {
  mode: AutoscalerMode;
  /** Workers running (ECS running tasks, ready local processes); null before the first decision. */
  current: number | null;
  /** Workers asked for but not running yet. */
  pending: number | null;
  desired: number | null;
  /** Why the last decision is what it is, in one sentence. */
  reason: string | null;
  /** The last tick's snapshot; null when it could not be read. */
  signals: Signals | null;
  /** ISO 8601 time of the last tick. */
  updatedAt: string | null;
  /** What went wrong in the last tick, if anything. */
  error: TickRecord['error'];
  /** The last decisions, newest first. */
  recent: Decision[];
  /** Local mode: each worker process, its state and whether it holds imports. */
  workers?: LocalWorkerView[];
}

export function statusDocument(
  mode: AutoscalerMode,
  loop: ControlLoop,
  workers?: () => LocalWorkerView[],
): StatusDocument {
  const latest = loop.latest();
  const recent = loop.history();
  const decision = recent[0];
  return {
    mode,
    current: decision?.current ?? null,
    pending: latest?.signals?.pendingWorkers ?? null,
    desired: decision?.desired ?? null,
    reason: decision?.reason ?? null,
    signals: latest?.signals ?? null,
    updatedAt: latest ? new Date(latest.at).toISOString() : null,
    error: latest?.error ?? null,
    recent,
    ...(workers ? { workers: workers() } : {}),
  };
}
