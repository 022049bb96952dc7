import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureRedis, type FileSourceHandle, freePort, startFileSource } from '@ferry/local-stack';
import { connectionFile, dataDir } from '../paths.ts';
import { type ChildService, spawnService } from './child-service.ts';
import { devSecretKey } from './dev-secret-key.ts';
import { ECS_DEFAULT_MAX_WORKERS, type LocalEcs, startLocalEcs } from './local-ecs.ts';
import { type LocalS3, startLocalS3 } from './local-s3.ts';
import type { LocalS3Kind } from './local-s3-kind.ts';
import { ensureSampleFile, type SampleFile } from './sample-file.ts';

export const LOCAL_BUCKET = 'ferry-local';
const LOCAL_TENANT = 'local';

export interface LocalStack {
  apiUrl: string;
  apiKey: string;
  redisUrl: string;
  s3: Omit<LocalS3, 'close'>;
  bucket: string;
  sample: SampleFile;
  sampleUrl: string;
  logDir: string;
  /** The autoscaler's status URL when it sizes the workers (`autoscaleTo` or `ecs`), else null. */
  autoscalerUrl: string | null;
  /** The ECS/CloudWatch stand-in whose service runs the workers (`ecs`), else null. */
  ecs: Omit<LocalEcs, 'close'> | null;
  close(): Promise<void>;
}

export interface LocalStackOptions {
  /** Worker processes to run (default 2); ignored when `autoscaleTo` is given. */
  workers?: number;
  /** Let the autoscaler (local mode) run between 1 and this many workers instead. */
  autoscaleTo?: number;
  /**
   * Run the workers as the tasks of a service in the ECS/CloudWatch stand-in, sized by the
   * autoscaler in `ecs` mode (1 to `autoscaleTo`, default ECS_DEFAULT_MAX_WORKERS), as on ECS.
   */
  ecs?: boolean;
  /** The S3 server: fauxqs (default) or a one-node Ceph cluster's radosgw. */
  s3?: LocalS3Kind;
  sampleSizeMiB?: number;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '0.0.0.0', () => probe.close(() => resolve(true)));
  });
}

/** PORT when given (0 = any free port); otherwise 8080, or a free port when 8080 is taken. */
async function choosePort(requested: string | undefined): Promise<number> {
  if (requested !== undefined && requested !== '') {
    const port = Number(requested);
    return port > 0 ? port : freePort();
  }
  return (await portIsFree(8080)) ? 8080 : freePort();
}

async function waitForHealthy(url: string, child: ChildService, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.child.exitCode !== null)
      throw new Error(`${child.name} exited with code ${child.child.exitCode} during start-up; see its log`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${child.name} did not become ready at ${url} within ${timeoutMs / 1000}s`);
}

/**
 * Everything Ferry needs on one machine with embedded defaults: Redis (the one at REDIS_URL when it
 * answers, else a started redis-server), a disk-backed S3 server, the API and the workers as their
 * own processes, and a sample HTTP source to import from.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const root = dataDir(env);
  const logDir = join(root, 'logs');
  const cleanups: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    rmSync(connectionFile(env), { force: true });
  };

  try {
    const redis = await ensureRedis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', { log });
    cleanups.push(() => redis.close());

    const s3 = await startLocalS3(options.s3 ?? 'fauxqs', root, LOCAL_BUCKET, log);
    cleanups.push(() => s3.close());

    const sample = ensureSampleFile(join(root, 'sample'), options.sampleSizeMiB ?? 256);
    const source: FileSourceHandle = await startFileSource({ root: sample.dir });
    cleanups.push(() => source.close());

    const apiKey = env.FERRY_API_KEY ?? `ferry_local_${randomBytes(12).toString('hex')}`;
    // One key for the API that seals and the workers that open, kept across restarts.
    const secretKey = env.FERRY_SECRET_KEY || devSecretKey(root);
    const port = await choosePort(env.PORT);
    const serviceEnv: NodeJS.ProcessEnv = {
      ...env,
      REDIS_URL: redis.url,
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: env.S3_REGION ?? 'us-east-1',
      S3_FORCE_PATH_STYLE: '1',
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      SOURCE_ALLOW_PRIVATE: '1',
      FERRY_DEV: '1',
      FERRY_SECRET_KEY: secretKey,
      FERRY_API_KEYS: `${apiKey}:${LOCAL_TENANT}`,
      // Transfer jobs keep their manifests and reports beside the imports.
      JOBS_BUCKET: env.JOBS_BUCKET ?? LOCAL_BUCKET,
      PORT: String(port),
      // Several workers on one machine: each serves /metrics on a free port its "worker ready" line names.
      METRICS_PORT: env.METRICS_PORT ?? '0',
      LOG_LEVEL: env.LOG_LEVEL ?? 'info',
    };

    const api = spawnService('api', 'api', serviceEnv, logDir);
    cleanups.push(() => api.stop());
    const apiUrl = `http://127.0.0.1:${port}`;
    await waitForHealthy(apiUrl, api);

    /** The autoscaler as its own process, sizing the workers 1 to `maxWorkers` by `mode`'s actuator. */
    const spawnAutoscaler = async (maxWorkers: number, mode: NodeJS.ProcessEnv): Promise<string> => {
      const autoscalerPort = await freePort();
      const autoscaler = spawnService(
        'autoscaler',
        'autoscaler',
        {
          ...serviceEnv,
          MIN_WORKERS: '1',
          MAX_WORKERS: String(maxWorkers),
          SCALE_INTERVAL_S: env.SCALE_INTERVAL_S ?? '5',
          SCALE_DOWN_STABILIZATION_S: env.SCALE_DOWN_STABILIZATION_S ?? '60',
          AUTOSCALER_PORT: String(autoscalerPort),
          AUTOSCALER_HOST: '127.0.0.1',
          ...mode,
        },
        logDir,
      );
      cleanups.push(() => autoscaler.stop());
      return `http://127.0.0.1:${autoscalerPort}`;
    };

    let autoscalerUrl: string | null = null;
    const ecs = options.ecs ? await startLocalEcs(serviceEnv, logDir) : null;
    if (ecs) {
      // Pushed before the autoscaler's, so run after it: the fleet stops once nothing resizes it.
      cleanups.push(() => ecs.close());
      autoscalerUrl = await spawnAutoscaler(options.autoscaleTo ?? ECS_DEFAULT_MAX_WORKERS, {
        AUTOSCALER_MODE: 'ecs',
        ECS_CLUSTER: ecs.cluster,
        ECS_SERVICE: ecs.service,
        ...ecs.clientEnv,
      });
    } else if (options.autoscaleTo === undefined) {
      for (let i = 1; i <= (options.workers ?? 2); i++) {
        const worker = spawnService(`worker-${i}`, 'worker', serviceEnv, logDir);
        cleanups.push(() => worker.stop());
      }
    } else {
      // The autoscaler starts and stops the workers itself; stopping it drains them.
      autoscalerUrl = await spawnAutoscaler(options.autoscaleTo, { AUTOSCALER_MODE: 'local' });
    }

    writeFileSync(
      connectionFile(env),
      [
        `FERRY_API_URL=${apiUrl}`,
        `FERRY_API_KEY=${apiKey}`,
        `FERRY_SECRET_KEY=${secretKey}`,
        `S3_ENDPOINT=${s3.endpoint}`,
        `AWS_ACCESS_KEY_ID=${s3.credentials.accessKeyId}`,
        `AWS_SECRET_ACCESS_KEY=${s3.credentials.secretAccessKey}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    return {
      apiUrl,
      apiKey,
      redisUrl: redis.url,
      s3: { kind: s3.kind, endpoint: s3.endpoint, credentials: s3.credentials },
      bucket: LOCAL_BUCKET,
      sample,
      sampleUrl: `${source.url}/${sample.name}`,
      logDir,
      autoscalerUrl,
      ecs: ecs && { url: ecs.url, cluster: ecs.cluster, service: ecs.service, clientEnv: ecs.clientEnv },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
