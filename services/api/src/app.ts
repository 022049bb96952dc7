import {
  bullmqTelemetry,
  createRedis,
  createS3Client,
  FeedLoop,
  ImportStore,
  JobStore,
  type Logger,
  loggerOptions,
  QueueFeeder,
  type ResolveAll,
  SecretBox,
  systemResolveAll,
  UnfedImports,
  WebhookSecrets,
} from '@ferry/shared';
import { Queue } from 'bullmq';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { Counter } from 'prom-client';
import { ADMIN_PREFIX, adminRoutes } from './admin/admin-routes.ts';
import { bearerAuth } from './auth/bearer-auth.ts';
import { KeyRing } from './auth/key-ring.ts';
import { dependencyCaller } from './dependency-call.ts';
import type { ApiConfig } from './env.ts';
import { answerError, installErrorHandling, loggableError } from './http/errors.ts';
import { acceptJsonBodiesOnly, BODY_LIMIT_BYTES } from './http/json-body.ts';
import { refuseWhileClosing } from './http/refuse-while-closing.ts';
import { requestLogController } from './http/request-log.ts';
import { zodValidatorCompiler } from './http/validation.ts';
import { cancelRoute } from './imports/cancel-route.ts';
import type { ImportQueue, ImportsContext } from './imports/context.ts';
import { readRoutes } from './imports/read-routes.ts';
import { submitRoutes } from './imports/submit-routes.ts';
import { startJobExpander } from './jobs/job-expander.ts';
import { jobRoutes } from './jobs/job-routes.ts';
import type { JobsContext } from './jobs/jobs-context.ts';
import { notifySecretRoutes } from './notify/notify-secret-routes.ts';
import { healthRoutes } from './ops/health-routes.ts';
import { installMetrics, SCRAPE_TIMEOUT_MS } from './ops/metrics.ts';
import { registerOpenApi } from './ops/openapi.ts';

export interface ApiDeps {
  /** A Redis client the caller owns (and closes); by default the app opens and closes its own. */
  redis?: Redis;
  /** DNS resolution for the SSRF check; tests inject names that resolve to chosen addresses. */
  resolveAll?: ResolveAll;
  /** A pino logger; by default one at LOG_LEVEL on stdout, with secrets redacted. */
  logger?: Logger;
}

/** The API with every route, hook and resource registered; not yet listening. */
export function buildApi(config: ApiConfig, deps: ApiDeps = {}): FastifyInstance {
  const options: FastifyServerOptions = {
    bodyLimit: BODY_LIMIT_BYTES,
    frameworkErrors: answerError,
    return503OnClosing: false,
    logController: requestLogController(),
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: loggerOptions('api', config.LOG_LEVEL) }),
  };
  const app = Fastify(options);

  const ownsRedis = deps.redis === undefined;
  const redis =
    deps.redis ?? createRedis(config.REDIS_URL, { name: 'ferry-api', password: config.REDIS_PASSWORD });
  if (ownsRedis) {
    // ioredis reports every failed reconnect; without a listener it prints them to stderr.
    redis.on('error', (error) =>
      app.log.warn({ err: loggableError(error, false) }, 'redis connection error'),
    );
  }
  // The queue shares the request-path client: producing jobs needs no blocking connection.
  // While tracing, each job carries its submit's trace context to the worker (BullMQ's telemetry).
  const telemetry = bullmqTelemetry();
  const queue: ImportQueue = new Queue(config.FERRY_QUEUE, {
    connection: redis,
    ...(telemetry ? { telemetry } : {}),
  });
  queue.on('error', (error) => app.log.warn({ err: loggableError(error, false) }, 'queue error'));
  const store = new ImportStore(redis, config.FERRY_QUEUE);
  const fed = new Counter({
    name: 'ferry_api_imports_fed_total',
    help: 'Imports whose BullMQ job this API process added, as the feed window had room',
    registers: [],
  });
  const feeder = new QueueFeeder({
    redis,
    queue,
    keys: store.keys,
    window: config.QUEUE_FEED_WINDOW,
    failpoints: config.FERRY_FAILPOINTS,
  });
  const feed = new FeedLoop(feeder, {
    pollMs: config.QUEUE_FEED_POLL_MS,
    log: app.log,
    onFed: (ids) => fed.inc(ids.length),
  });
  const ctx: ImportsContext = {
    store,
    queue,
    redis,
    allowPrivateSources: config.SOURCE_ALLOW_PRIVATE,
    resolveAll: deps.resolveAll ?? systemResolveAll,
    notifyDefaults: config.FERRY_NOTIFY_URLS,
    secrets: SecretBox.fromConfig(config, app.log),
    call: dependencyCaller(redis),
    failpoints: config.FERRY_FAILPOINTS,
    feed,
  };

  // Jobs need a bucket for their manifests and reports; without JOBS_BUCKET /v1/jobs is not mounted.
  const jobsCtx: JobsContext | null = config.JOBS_BUCKET
    ? {
        ...ctx,
        jobs: new JobStore(redis, config.FERRY_QUEUE),
        s3: createS3Client(config, app.log as Logger, 16),
        bucket: config.JOBS_BUCKET,
        window: config.JOB_WINDOW,
        manifestBuckets: config.JOB_MANIFEST_BUCKETS,
      }
    : null;

  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  acceptJsonBodiesOnly(app);
  installErrorHandling(app);
  refuseWhileClosing(app);
  const registry = installMetrics(
    app,
    queue,
    new UnfedImports(redis, store.keys),
    dependencyCaller(redis, SCRAPE_TIMEOUT_MS),
  );
  registerOpenApi(app);

  app.register(healthRoutes, { redis });
  const keyRing = new KeyRing(config.FERRY_API_KEYS);
  app.register(async (v1) => {
    v1.decorateRequest('tenant', '');
    v1.addHook('onRequest', bearerAuth(keyRing));
    await v1.register(submitRoutes, { ctx });
    await v1.register(readRoutes, { ctx });
    await v1.register(cancelRoute, { ctx });
    if (jobsCtx) await v1.register(jobRoutes, { ctx: jobsCtx });
    await v1.register(notifySecretRoutes, {
      ctx,
      signingSecrets: new WebhookSecrets(redis, ctx.store.keys, ctx.secrets),
    });
  });
  // Unset keys leave /admin unmounted: it answers 404 like any other unknown path.
  if (config.FERRY_ADMIN_KEYS) {
    app.register(adminRoutes, { prefix: ADMIN_PREFIX, adminKeys: config.FERRY_ADMIN_KEYS, queue, redis });
  }

  registry.registerMetric(fed);

  const stopExpanding = jobsCtx ? startJobExpander(jobsCtx, config.JOB_POLL_MS, app.log) : async () => {};

  app.addHook('onClose', async () => {
    await stopExpanding();
    jobsCtx?.s3.destroy();
    await feed.close();
    await queue.close();
    if (ownsRedis) await redis.quit();
  });
  return app;
}
