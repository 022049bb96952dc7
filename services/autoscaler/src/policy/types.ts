/**
 * The autoscaler's vocabulary: what the signal adapters report, how the policy is configured, and
 * what it decides. The policy (`decide`) is a pure function of these, the previous state and the
 * time, so the control loop, the simulator and the tests all run the same arithmetic.
 */

/** One BullMQ queue's depth. */
export interface QueueDepth {
  queue: string;
  waiting: number;
  prioritized: number;
  active: number;
  /** Delayed jobs whose time has come (due now), not the ones waiting for later. */
  delayedDue: number;
  /**
   * Imports accepted and queued that have no BullMQ job yet (lazy queueing: QueueFeeder keeps only a
   * window of them in BullMQ); they need workers as much as the waiting jobs do.
   */
  unfed: number;
  /** Age of the oldest job waiting to start, in seconds; 0 when none waits. */
  oldestWaitingAgeS: number;
}

export interface Signals {
  /** Milliseconds since the epoch when the signals were read. */
  at: number;
  queues: QueueDepth[];
  /** Imports one worker runs at once (WORKER_CONCURRENCY of the fleet). */
  workerConcurrency: number;
  /** Workers running now, as the actuator counts them (ECS running tasks, local processes). */
  currentWorkers: number;
  /** Workers asked for but not running yet (ECS pending tasks, local processes starting). */
  pendingWorkers: number;
  /** SQS ApproximateNumberOfMessages(+NotVisible), where a deployment feeds from SQS. */
  sqs?: { visible: number; notVisible: number };
  /** Fleet average CPU utilisation, 0-100, when known (CloudWatch or local /proc). */
  cpuUtilization?: number;
  /** Fleet average memory utilisation, 0-100, when known. */
  memoryUtilization?: number;
}

/** A scaling rate limit: in any `periodS`, change by at most the larger of `workers` and `percent`%. */
export interface RateLimit {
  workers: number;
  percent: number;
  periodS: number;
}

/** A minimum that applies while a cron window is open (e.g. weekday business hours). */
export interface ScheduledMinimum {
  /** Five-field cron (minute hour day-of-month month day-of-week), UTC, when the window opens. */
  cron: string;
  /** How long the window stays open once opened. */
  durationS: number;
  minWorkers: number;
}

export interface PolicyConfig {
  minWorkers: number;
  maxWorkers: number;
  /** Share of each worker's job slots the backlog rule aims to fill (0-1, default 0.9). */
  targetUtilization: number;
  /** CPU target tracking, percent; unset = not used. */
  cpuTargetPercent?: number;
  /** Memory target tracking, percent; unset = not used. */
  memoryTargetPercent?: number;
  /** No change when the recommendation is within this share of current (default 0.1). */
  tolerance: number;
  /** Scale-up stabilization window (default 0 s). */
  scaleUpStabilizationS: number;
  /** Scale-down stabilization window: the highest recommendation within it wins (default 300 s). */
  scaleDownStabilizationS: number;
  scaleUpLimit: RateLimit;
  scaleDownLimit: RateLimit;
  /** Backlog (jobs) below which a fleet at zero stays at zero. */
  activationBacklog: number;
  /** Idle time (no backlog, no active jobs) before scaling to zero when minWorkers is 0. */
  scaleToZeroCooldownS: number;
  schedule: ScheduledMinimum[];
}

/** One rule's recommendation, kept for the reason and the /status document. */
export interface Recommendation {
  rule: 'backlog' | 'cpu' | 'memory' | 'sqs' | 'schedule' | 'minimum';
  workers: number;
  /** How the rule got there, for people: "backlog 180 jobs / (2 × 0.9) → 100". */
  detail: string;
}

export interface Decision {
  at: number;
  /** The fleet the policy scaled from: running + pending workers (like HPA's spec.replicas). */
  current: number;
  desired: number;
  recommendations: Recommendation[];
  /** One sentence a person can read: "backlog 180 jobs / (2 × 0.9) → 100, capped at max 40". */
  reason: string;
}

/** What the policy remembers between decisions (kept by the loop, or the simulator). */
export interface PolicyState {
  /** Recent raw recommendations, for the stabilization windows. */
  recommendations: { at: number; workers: number }[];
  /**
   * Recent changes of the desired count (desired ≠ current), for the rate limits and the reversal
   * hold; one change older than the longest window is kept for the hold's sake.
   */
  changes: { at: number; from: number; to: number }[];
  /**
   * Last time there was any backlog or active job, for scale to zero; the first decision sets it,
   * so a restarted autoscaler waits a whole cooldown before taking an idle fleet to zero.
   */
  lastBusyAt: number | null;
}
