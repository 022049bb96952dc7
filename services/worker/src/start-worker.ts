import {
  bullmqTelemetry,
  createLogger,
  createRedis,
  createS3Client,
  FeedLoop,
  IMPORT_JOB_RETENTION,
  ImportStore,
  JobStore,
  type Logger,
  QueueFeeder,
  type ResolveAll,
  SecretBox,
  SOURCE_URL,
  startEmfPublisher,
  WebhookSecrets,
} from '@ferry/shared';
import { isNotConnectionError, Queue, Worker } from 'bullmq';
import { Agent } from 'undici';
import { BLOCK_SIZE, MemoryBudget } from './bytes/memory-budget.ts';
import { parseWorkerEnv, type WorkerConfig } from './env.ts';
import { startEventDispatcher } from './events/event-dispatcher.ts';
import { deliverySettings } from './events/events-env.ts';
import { Outbox } from './events/outbox.ts';
import { SqsPublisher, sqsRegionOf } from './events/sqs-publisher.ts';
import { WebhookSender } from './events/webhook-sender.ts';
import { listenForCancels } from './jobs/cancel-listener.ts';
import { LockWatch } from './jobs/lock-watch.ts';
import { createImportProcessor } from './jobs/process-import.ts';
import { RunningImports } from './jobs/running-imports.ts';
import { logRedisOutages } from './lifecycle/redis-outage-log.ts';
import { startSpotInterruptionWatcher } from './lifecycle/spot-interruption-watcher.ts';
import { startTaskProtection } from './lifecycle/task-protection.ts';
import { FleetLimiter, limitsPrefix } from './limits/fleet-limiter.ts';
import { WORKER_CLOUDWATCH_METRICS } from './metrics/cloudwatch-metrics.ts';
import { startMetricsServer } from './metrics/metrics-server.ts';
import { createWorkerMetrics, type WorkerMetrics } from './metrics/worker-metrics.ts';
import { RedisProbeCache } from './sink/probe-cache.ts';
import { S3Sink } from './sink/s3-sink.ts';
import { createGuardedAgent } from './sources/guarded-agent.ts';
import { httpSourceTimeouts } from './sources/http-source-env.ts';
import { PooledHttpClient } from './sources/pooled-http-client.ts';
import { providerUrls } from './sources/providers/provider-env.ts';
import { RegionalS3Clients } from './sources/s3/regional-s3-clients.ts';
import { CheckpointStore } from './transfer/checkpoint.ts';
import { MIB } from './transfer/plan-parts.ts';

export interface WorkerDeps {
  /** DNS for the SSRF guard; tests answer with chosen addresses. */
  resolveAll?: ResolveAll;
  logger?: Logger;
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** For backoff jitter. */
  random?: () => number;
  /** The worker's own by default; /metrics serves this one's registry. */
  metrics?: WorkerMetrics;
}

export interface WorkerHandle {
  worker: Worker;
  /** Resolves when the worker takes jobs and listens for cancels, /metrics is served and SQS events are on. */
  ready: Promise<void>;
  metrics: WorkerMetrics;
  /** Where /metrics is served, once ready; null before, or when the port could not be bound. */
  readonly metricsUrl: string | null;
  /**
   * Graceful drain, bounded by DRAIN_TIMEOUT_S: takes no new jobs, starts no new parts, lets parts in
   * flight finish (aborting them near the deadline), hands every held job back to the queue without
   * using an attempt, then closes every connection.
   */
  close(): Promise<void>;
}

/** Time kept after the parts' deadline to checkpoint, hand jobs back and close connections. */
const HANDBACK_RESERVE_MS = 10_000;

export function startWorker(
  input: Record<string, string | undefined> | WorkerConfig,
  deps: WorkerDeps = {},
): WorkerHandle {
  const config = isConfig(input) ? input : parseWorkerEnv(input);
  const logger = deps.logger ?? createLogger('worker', config.LOG_LEVEL);
  const now = deps.now ?? Date.now;
  const secrets = SecretBox.fromConfig(config, logger);
  const metrics = deps.metrics ?? createWorkerMetrics();

  const connectRedis = (name: string) => {
    const client = createRedis(config.REDIS_URL, { blocking: true, name, password: config.REDIS_PASSWORD });
    logRedisOutages(client, logger);
    return client;
  };
  const redis = connectRedis('ferry-worker');
  const store = new ImportStore(redis, config.FERRY_QUEUE, () => new Date(now()));
  const checkpoints = new CheckpointStore(redis, store.keys, metrics.checkpointWritten);
  const s3 = createS3Client(config, logger);
  const s3Clients = new RegionalS3Clients(s3, config, logger);
  const sourceTimeouts = httpSourceTimeouts(config);
  const agent = createGuardedAgent(config.SOURCE_ALLOW_PRIVATE, deps.resolveAll, SOURCE_URL, sourceTimeouts);
  const ranges = new PooledHttpClient({
    allowPrivate: config.SOURCE_ALLOW_PRIVATE,
    ...sourceTimeouts,
    ...(deps.resolveAll ? { resolveAll: deps.resolveAll } : {}),
  });
  // Provider API URLs are operator configuration, not client input: no SSRF policy on these two
  // (cloud metadata addresses stay refused), so emulators and egress proxies on private addresses work.
  const providerApi = new Agent({ keepAliveTimeout: 4_000 });
  const providerDownloads = new PooledHttpClient({ allowPrivate: true, ...sourceTimeouts });
  const limiter = new FleetLimiter({
    redis: () => connectRedis('ferry-worker-limits'),
    prefix: limitsPrefix(config.FERRY_QUEUE),
    config,
    logger,
    now,
    ...(deps.random ? { random: deps.random } : {}),
    observer: metrics.limiter,
  });
  // While it holds imports, ECS must not pick this task for scale-in.
  const protection = config.ECS_AGENT_URI
    ? startTaskProtection({ agentUri: config.ECS_AGENT_URI, logger })
    : null;
  const running = new RunningImports((size) => {
    protection?.busy(size);
    metrics.activeImports(size);
  });

  const cancels = listenForCancels(
    () => connectRedis('ferry-worker-cancel'),
    store.keys.cancelChannel(),
    (importId) => {
      if (running.cancel(importId)) logger.info({ importId }, 'cancel received');
    },
  );

  const processor = createImportProcessor({
    store,
    checkpoints,
    sink: new S3Sink(s3, {
      mode: config.S3_CHECKSUM_MODE,
      endpoint: config.S3_ENDPOINT,
      logger,
      probeCache: new RedisProbeCache(redis, store.keys.prefix),
      failpoints: config.FERRY_FAILPOINTS,
    }),
    s3ForRegion: (region, role) => s3Clients.forRegion(region, role),
    agent,
    ranges,
    limiter,
    providers: {
      urls: providerUrls(config),
      dispatcher: providerApi,
      downloads: providerDownloads,
      limiter,
      now,
    },
    running,
    memory: new MemoryBudget(config.WORKER_MEMORY_BUDGET_MIB * MIB, BLOCK_SIZE, metrics.memoryWaited),
    onSourceChange: config.ON_SOURCE_CHANGE,
    partSize: config.PART_SIZE_MIB * MIB,
    partConcurrency: config.PART_CONCURRENCY,
    partTries: 5,
    partBackoff: { baseMs: 500, capMs: 15_000 },
    progressIntervalMs: 1000,
    logger,
    secrets,
    metrics,
    failpoints: config.FERRY_FAILPOINTS,
    now,
    random: deps.random ?? Math.random,
  });

  const delivery = deliverySettings(config);
  const webhooks = new WebhookSender({
    allowPrivate: config.SOURCE_ALLOW_PRIVATE,
    ...(deps.resolveAll ? { resolveAll: deps.resolveAll } : {}),
    timeoutMs: delivery.timeoutMs,
    now,
  });
  const sqs = config.EVENTS_SQS_QUEUE_URL
    ? new SqsPublisher({
        queueUrl: config.EVENTS_SQS_QUEUE_URL,
        endpoint: config.AWS_ENDPOINT_URL_SQS,
        region: sqsRegionOf(config.EVENTS_SQS_QUEUE_URL, config.S3_REGION),
        credentials: awsCredentials(config),
        timeoutMs: delivery.timeoutMs,
      })
    : null;
  const events = startEventDispatcher({
    redis,
    store,
    jobs: new JobStore(redis, config.FERRY_QUEUE),
    outbox: new Outbox(redis, store.keys),
    webhooks,
    sqs,
    signingSecrets: new WebhookSecrets(redis, store.keys, secrets, now),
    box: secrets,
    failpoints: config.FERRY_FAILPOINTS,
    settings: delivery,
    metrics,
    logger,
    now,
    random: deps.random ?? Math.random,
  });

  // Stops an import whose lock Redis has not confirmed for most of a lock period (Redis away):
  // by the time BullMQ could say the lock is lost, another worker may have the job.
  // On real time (not deps.now): BullMQ's locks and Redis's expiry run on it whatever clock imports get.
  const lockWatch = new LockWatch({
    lockDurationMs: config.JOB_LOCK_MS,
    onExpired: (id) => {
      if (running.lockLost(id)) logger.warn({ importId: id, lockMs: config.JOB_LOCK_MS }, 'job lock expired');
    },
  });

  const workerConnection = connectRedis('ferry-worker-queue');
  // While tracing, each job's processing continues the trace its submit started (BullMQ's telemetry).
  const telemetry = bullmqTelemetry();
  const worker = new Worker(config.FERRY_QUEUE, lockWatch.guard(processor), {
    connection: workerConnection,
    ...(telemetry ? { telemetry } : {}),
    concurrency: config.WORKER_CONCURRENCY,
    // A Spot reclaim or OOM kill stalls a job, and each stall resumes from the checkpoint. The
    // processor gives up after MAX_LOST_WORKERS, recording why; BullMQ's own limit stays out of reach.
    maxStalledCount: Number.MAX_SAFE_INTEGER,
    // How soon a dead worker's jobs go back to the queue (see JOB_LOCK_MS).
    lockDuration: config.JOB_LOCK_MS,
    lockRenewTime: LockWatch.lockRenewTimeMs(config.JOB_LOCK_MS),
    stalledInterval: config.JOB_LOCK_MS,
    // Finished jobs' retention lives here, not in each queued job (see IMPORT_JOB_RETENTION).
    ...IMPORT_JOB_RETENTION,
  });
  worker.on('locksRenewed', ({ jobIds }) => lockWatch.renewed(jobIds));

  // Workers feed too (see FeedLoop for why): each job taken makes room in the window.
  const feedQueue = new Queue(config.FERRY_QUEUE, { connection: redis, ...(telemetry ? { telemetry } : {}) });
  feedQueue.on('error', () => {}); // its connection's outages are logged once by logRedisOutages
  const feed = new FeedLoop(
    new QueueFeeder({
      redis,
      queue: feedQueue,
      keys: store.keys,
      window: config.QUEUE_FEED_WINDOW,
      failpoints: config.FERRY_FAILPOINTS,
    }),
    { pollMs: config.QUEUE_FEED_POLL_MS, log: logger, onFed: (ids) => metrics.importsFed(ids.length) },
  );
  worker.on('active', () => void feed.feed());
  worker.on('error', (error) => {
    // A lost connection is logged once per outage by its client (and BullMQ retries on its own);
    // BullMQ would report every failed reconnect of its blocking connection here as well.
    if (isNotConnectionError(error)) logger.error({ err: error }, 'worker error');
  });
  // An event loop blocked past the lock (or a Redis outage) lets another worker take the job.
  worker.on('lockRenewalFailed', (jobIds) => {
    for (const id of jobIds) if (running.lockLost(id)) logger.warn({ importId: id }, 'job lock lost');
  });

  // Metrics are not worth refusing imports for: a port that cannot be bound is logged, not fatal.
  const metricsServer = startMetricsServer({
    port: config.METRICS_PORT,
    host: config.METRICS_HOST,
    registry: metrics.registry,
  }).catch((error: unknown) => {
    logger.error({ err: error, port: config.METRICS_PORT }, 'cannot serve /metrics');
    return null;
  });
  let metricsUrl: string | null = null;
  const cloudWatch =
    config.METRICS_EMF_INTERVAL_S > 0
      ? startEmfPublisher({
          registry: metrics.registry,
          metrics: WORKER_CLOUDWATCH_METRICS,
          queue: config.FERRY_QUEUE,
          intervalMs: config.METRICS_EMF_INTERVAL_S * 1000,
        })
      : null;

  const ready = Promise.all([worker.waitUntilReady(), cancels.ready, metricsServer, events.ready]).then(
    ([, , server]) => {
      metricsUrl = server?.url ?? null;
      logger.info(
        {
          queue: config.FERRY_QUEUE,
          concurrency: config.WORKER_CONCURRENCY,
          partConcurrency: config.PART_CONCURRENCY,
          memoryBudgetMiB: config.WORKER_MEMORY_BUDGET_MIB,
          metrics: metricsUrl,
        },
        'worker ready',
      );
    },
  );
  ready.catch(() => {});

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= drain();
    return closing;
  };
  // EC2 Spot: the two-minute notice starts the same drain as SIGTERM.
  const spot = config.SPOT_WATCH
    ? startSpotInterruptionWatcher({
        imdsUrl: config.IMDS_URL,
        intervalMs: config.SPOT_POLL_MS,
        logger,
        onNotice: () => void close(),
      })
    : null;
  const drain = async (): Promise<void> => {
    const budgetMs = config.DRAIN_TIMEOUT_S * 1000;
    const partsDeadlineMs = Math.max(budgetMs - HANDBACK_RESERVE_MS, budgetMs / 2);
    logger.info({ running: running.size, budgetMs }, 'draining');
    const spotClosed = spot?.close();
    // worker.close() first stops fetching jobs; a job fetched a moment earlier starts already drained.
    const workerClosed = worker.close();
    running.drainAll();
    const forceParts = setTimeout(() => {
      logger.warn('drain deadline: aborting parts in flight');
      running.forceStopAll();
    }, partsDeadlineMs);
    const closed = await settlesWithin(workerClosed, budgetMs - 1000);
    clearTimeout(forceParts);
    if (!closed) {
      logger.error('jobs did not hand back in time; closing anyway');
      running.forceStopAll();
      await settlesWithin(worker.close(true), 500);
    }
    // Only now: a job handed back late is still watched while the drain waits for it.
    lockWatch.close();
    // Bounded inside: on this client a pass waits out a Redis outage, and the drain must not.
    await feed.close();
    await settlesWithin(feedQueue.close(), 500);
    await cancels.close();
    // After the jobs: an import finishing during the drain still has its event sent here (or by
    // another worker, from the outbox).
    await events.close();
    await webhooks.close();
    sqs?.close();
    await spotClosed;
    await protection?.close();
    await Promise.allSettled([redis.quit(), workerConnection.quit()]);
    s3Clients.destroy();
    ranges.close();
    providerDownloads.close();
    await limiter.close();
    await settlesWithin(providerApi.destroy(), 500);
    await settlesWithin(agent.destroy(), 500);
    await (await metricsServer)?.close();
    // Last, so the imports this drain finished or handed back are counted.
    await cloudWatch?.close();
    logger.info('worker closed');
  };

  return {
    worker,
    ready,
    metrics,
    get metricsUrl() {
      return metricsUrl;
    },
    close,
  };
}

/** The configured AWS keys, for the SDK clients that do not read process.env here (see WorkerEnv). */
function awsCredentials(config: WorkerConfig) {
  if (!config.AWS_ACCESS_KEY_ID || !config.AWS_SECRET_ACCESS_KEY) return undefined;
  return {
    accessKeyId: config.AWS_ACCESS_KEY_ID,
    secretAccessKey: config.AWS_SECRET_ACCESS_KEY,
    ...(config.AWS_SESSION_TOKEN ? { sessionToken: config.AWS_SESSION_TOKEN } : {}),
  };
}

function isConfig(input: Record<string, unknown>): input is WorkerConfig {
  return typeof input.DRAIN_TIMEOUT_S === 'number';
}

/** Waits for `promise` (ignoring its outcome) up to `ms`; true when it settled in time. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
