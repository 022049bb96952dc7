import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLogger, createRedis, type Logger, startEmfPublisher } from '@ferry/shared';
import type { Actuator } from './actuators/actuator.ts';
import { dryRunActuator } from './actuators/dry-run-actuator.ts';
import { ecsActuator } from './actuators/ecs-actuator.ts';
import { type LocalWorkerView, startLocalActuator } from './actuators/local-actuator.ts';
import type { WorkerCommand } from './actuators/local-worker.ts';
import { type AutoscalerConfig, parseAutoscalerEnv, policyConfigFromEnv } from './env.ts';
import { type ControlLoop, startControlLoop } from './loop/control-loop.ts';
import { decide } from './policy/decide.ts';
import { initialPolicyState } from './policy/policy-state.ts';
import type { PolicyConfig } from './policy/types.ts';
import { bullmqSignals } from './signals/bullmq-signals.ts';
import { ecsSignals } from './signals/ecs-signals.ts';
import { localSignals } from './signals/local-signals.ts';
import { readSignals } from './signals/read-signals.ts';
import type { SignalSource } from './signals/signal-source.ts';
import { sqsSignals } from './signals/sqs-signals.ts';
import { autoscalerCloudWatchMetrics } from './status/cloudwatch-metrics.ts';
import { createMetrics } from './status/metrics.ts';
import { publishStatus, unpublishStatus } from './status/published-status.ts';
import { type StatusDocument, statusDocument } from './status/status-document.ts';
import { startStatusServer } from './status/status-server.ts';

export interface AutoscalerDeps {
  logger?: Logger;
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** Policy settings beyond what the environment sets (tests, embedding). */
  policy?: Partial<PolicyConfig>;
  /** Local mode: where the workers' log lines go (default stdout), and how a worker is run. */
  workerOutput?: NodeJS.WritableStream;
  workerCommand?: WorkerCommand;
}

export interface AutoscalerHandle {
  /** Where GET /status, /metrics and /healthz answer. */
  url: string;
  config: AutoscalerConfig;
  loop: ControlLoop;
  actuator: Actuator;
  status(): StatusDocument;
  /**
   * Stops the loop, then the status server; in local mode stops the workers too, each draining (its
   * imports go back to the queue). ECS and dry-run leave the fleet as it is.
   */
  close(): Promise<void>;
}

/**
 * Parses the environment and runs the autoscaler: what `ferry autoscaler` runs. The local pool's
 * workers get the same environment (Redis, S3, the queue), with WORKER_CONCURRENCY. Installs no
 * signal handlers; the process entry point owns those.
 */
export async function startAutoscaler(
  env: Record<string, string | undefined> = process.env,
  deps: AutoscalerDeps = {},
): Promise<AutoscalerHandle> {
  const config = parseAutoscalerEnv(env);
  const policy = policyConfigFromEnv(config, deps.policy);
  const logger = deps.logger ?? createLogger('autoscaler', config.LOG_LEVEL);
  const now = deps.now ?? Date.now;
  const region = config.AWS_REGION ? { region: config.AWS_REGION } : {};
  const ecsService =
    config.ECS_CLUSTER && config.ECS_SERVICE
      ? { cluster: config.ECS_CLUSTER, service: config.ECS_SERVICE }
      : null;

  const redis = createRedis(config.REDIS_URL, { name: 'ferry-autoscaler', password: config.REDIS_PASSWORD });
  redis.on('error', (error) => logger.warn({ err: error }, 'redis error'));
  const sources: SignalSource[] = [bullmqSignals({ redis, queues: [config.FERRY_QUEUE] })];
  if (config.SQS_QUEUE_URL) {
    sources.push(sqsSignals({ client: new SQSClient(region), queueUrl: config.SQS_QUEUE_URL }));
  }

  let actuator: Actuator;
  let workers: (() => LocalWorkerView[]) | undefined;
  try {
    if (config.AUTOSCALER_MODE === 'local') {
      const local = await startLocalActuator({
        env,
        workerConcurrency: config.WORKER_CONCURRENCY,
        logger,
        logLevel: config.LOG_LEVEL,
        ...(deps.workerOutput ? { output: deps.workerOutput } : {}),
        ...(deps.workerCommand ? { command: deps.workerCommand } : {}),
      });
      actuator = local;
      workers = () => local.workers();
      sources.push(localSignals({ pool: local, maxWorkers: config.MAX_WORKERS }));
    } else if (config.AUTOSCALER_MODE === 'ecs' && ecsService) {
      actuator = ecsActuator({ client: new ECSClient(region), ...ecsService, logger });
    } else {
      actuator = dryRunActuator({ initial: config.MIN_WORKERS, logger });
    }
    // Dry run with a service named observes it: what would the autoscaler do to production?
    if (ecsService && config.AUTOSCALER_MODE !== 'local') {
      sources.push(
        ecsSignals({
          ecs: new ECSClient(region),
          cloudwatch: new CloudWatchClient(region),
          ...ecsService,
          logger,
        }),
      );
    }
  } catch (error) {
    await Promise.allSettled(sources.map((source) => source.close()));
    redis.disconnect();
    throw error;
  }

  const metrics = createMetrics();
  const cloudWatch =
    config.METRICS_EMF_INTERVAL_S > 0
      ? startEmfPublisher({
          registry: metrics.registry,
          metrics: autoscalerCloudWatchMetrics(config.FERRY_QUEUE),
          queue: config.FERRY_QUEUE,
          intervalMs: config.METRICS_EMF_INTERVAL_S * 1000,
        })
      : null;
  const intervalMs = config.SCALE_INTERVAL_S * 1000;
  // Long enough to outlive a slow tick or two, short enough that `ferry queues` soon stops showing a
  // dead autoscaler's last word.
  const publishTtlMs = 3 * intervalMs + 10_000;
  const loop: ControlLoop = startControlLoop({
    intervalMs,
    readSignals: (at) =>
      readSignals(sources, {
        now: at,
        workerConcurrency: config.WORKER_CONCURRENCY,
        fallbackWorkers: () => actuator.current(),
      }),
    actuator,
    decide,
    config: policy,
    initialState: initialPolicyState(),
    logger,
    now,
    onTick: async (record) => {
      metrics.record(record);
      await publishStatus(redis, config.FERRY_QUEUE, status(), publishTtlMs);
    },
  });
  const status = (): StatusDocument => statusDocument(actuator.mode, loop, workers);
  const release = async (): Promise<void> => {
    await loop.close();
    await cloudWatch?.close();
    await actuator.close();
    await Promise.allSettled(sources.map((source) => source.close()));
    // With Redis unreachable the published status is left to expire rather than wait on retries.
    if (redis.status === 'ready') {
      await unpublishStatus(redis, config.FERRY_QUEUE).catch(() => {});
      await redis.quit().catch(() => redis.disconnect());
    } else {
      redis.disconnect();
    }
  };

  const server = await startStatusServer({
    port: config.AUTOSCALER_PORT,
    host: config.AUTOSCALER_HOST,
    status,
    registry: metrics.registry,
  }).catch(async (error: unknown) => {
    await release();
    throw error;
  });
  logger.info(
    {
      mode: config.AUTOSCALER_MODE,
      queue: config.FERRY_QUEUE,
      minWorkers: policy.minWorkers,
      maxWorkers: policy.maxWorkers,
      intervalS: config.SCALE_INTERVAL_S,
      url: server.url,
    },
    'autoscaler ready',
  );

  let closing: Promise<void> | null = null;
  const shutdown = async (): Promise<void> => {
    await loop.close();
    await server.close();
    await release();
    logger.info('autoscaler closed');
  };

  return {
    url: server.url,
    config,
    loop,
    actuator,
    status,
    close: () => {
      closing ??= shutdown();
      return closing;
    },
  };
}
