import type { ErrorCode, EventSink } from '@ferry/shared';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** `skipped`: completed without writing, the overwrite policy having left the object there. */
export type ImportOutcome = 'completed' | 'skipped' | 'failed' | 'canceled';

/** How one attempt to deliver a completion event ended. */
export type EventOutcome = 'delivered' | 'retried' | 'given_up';

/** Bytes moved and parts retried by one import's transfer, already labelled with its source type. */
export interface TransferMeter {
  bytesMoved(count: number): void;
  partRetried(): void;
}

/**
 * What the fleet limiter reports, by limiter key (`dropbox:app:<appKey>`, `gdrive:token:<digest>`,
 * `http:host:<host>:<port>` for a host HTTP_HOST_LIMITS names, `http:host:other` for the rest).
 */
export interface LimiterObserver {
  /** A throttled answer paused the account or host for the whole fleet. */
  paused(key: string): void;
  /** A request waited out a fleet-wide pause of the account or host. */
  waited(key: string, seconds: number): void;
}

export interface WorkerMetrics {
  registry: Registry;
  transferMeter(sourceType: string): TransferMeter;
  importFinished(outcome: ImportOutcome, code: ErrorCode | 'none'): void;
  activeImports(count: number): void;
  checkpointWritten(): void;
  /** Jobs this worker's feeder added to BullMQ (lazy queueing). */
  importsFed(count: number): void;
  memoryWaited(seconds: number): void;
  eventSettled(sink: EventSink, outcome: EventOutcome): void;
  limiter: LimiterObserver;
}

const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** Waits range from a few milliseconds (a part's turn) to RATE_LIMIT_MAX_WAIT_S (minutes). */
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300];

/**
 * Prometheus metrics of one worker, on a registry of its own (not prom-client's global one), so
 * several workers can live in one process: tests, and `ferry up`. Labels stay bounded: source types,
 * outcomes, error codes and limiter keys (which never hold a token; see limits/limit-key.ts), never
 * an import id, URL or object key.
 */
export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  const registers = [registry];
  // Unprefixed, as every Node.js dashboard expects them; the scrape target tells the services apart.
  collectDefaultMetrics({ register: registry });
  // Gauges named like counters, which promtool refuses; the per-type gauges without the suffix
  // (nodejs_active_handles{type=...} and the like) carry the same counts.
  for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
  const bytes = new Counter({
    name: 'ferry_worker_bytes_moved_total',
    help: 'Bytes moved from sources into S3 (or copied by S3 itself), by source type; a part read again after a failed try counts again',
    labelNames: ['source_type'] as const,
    registers,
  });
  const retries = new Counter({
    name: 'ferry_worker_part_retries_total',
    help: 'Part uploads tried again after a transient failure, by source type',
    labelNames: ['source_type'] as const,
    registers,
  });
  const finished = new Counter({
    name: 'ferry_worker_imports_finished_total',
    help: 'Imports this worker ended for good, by outcome and error code (none unless failed)',
    labelNames: ['outcome', 'code'] as const,
    registers,
  });
  const active = new Gauge({
    name: 'ferry_worker_active_imports',
    help: 'Imports running in this worker now',
    registers,
  });
  const checkpoints = new Counter({
    name: 'ferry_worker_checkpoint_writes_total',
    help: 'Writes of import checkpoints to Redis: a new upload announced and begun, a part recorded, a reconciliation applied',
    registers,
  });
  const fed = new Counter({
    name: 'ferry_worker_imports_fed_total',
    help: "Imports whose BullMQ job this worker's feeder added, as the feed window had room",
    registers,
  });
  const memoryWaits = new Counter({
    name: 'ferry_worker_memory_budget_waits_total',
    help: 'Parts that waited for room in WORKER_MEMORY_BUDGET_MIB before starting',
    registers,
  });
  const memoryWaitSeconds = new Counter({
    name: 'ferry_worker_memory_budget_wait_seconds_total',
    help: 'Time parts spent waiting for room in WORKER_MEMORY_BUDGET_MIB',
    registers,
  });
  const events = new Counter({
    name: 'ferry_worker_event_deliveries_total',
    help: 'Completion event delivery attempts this worker ended, by sink (webhook, sqs) and outcome (delivered, retried, given_up)',
    labelNames: ['sink', 'outcome'] as const,
    registers,
  });
  const pauses = new Counter({
    name: 'ferry_worker_rate_limit_pauses_total',
    help: 'Fleet-wide pauses this worker set on a provider account or HTTP host after a throttled answer, by limiter key',
    labelNames: ['account'] as const,
    registers,
  });
  const pauseWaits = new Histogram({
    name: 'ferry_worker_rate_limit_wait_seconds',
    help: 'Time requests waited out a fleet-wide pause of a provider account or HTTP host, by limiter key',
    labelNames: ['account'] as const,
    buckets: WAIT_BUCKETS,
    registers,
  });

  return {
    registry,
    transferMeter: (sourceType) => {
      const labels = { source_type: sourceType };
      return {
        bytesMoved: (count) => bytes.inc(labels, count),
        partRetried: () => retries.inc(labels),
      };
    },
    importFinished: (outcome, code) => finished.inc({ outcome, code }),
    activeImports: (count) => active.set(count),
    checkpointWritten: () => checkpoints.inc(),
    importsFed: (count) => fed.inc(count),
    memoryWaited: (seconds) => {
      memoryWaits.inc();
      memoryWaitSeconds.inc(seconds);
    },
    eventSettled: (sink, outcome) => events.inc({ sink, outcome }),
    limiter: {
      paused: (key) => pauses.inc({ account: key }),
      waited: (key, seconds) => pauseWaits.observe({ account: key }, seconds),
    },
  };
}
