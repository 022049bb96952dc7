import { Writable } from 'node:stream';
import { ECSClient } from '@aws-sdk/client-ecs';
import { createLogger, IMPORT_JOB_NAME, IMPORT_JOB_OPTIONS, ImportStore, newImportId } from '@ferry/shared';
import {
  createTestBucket,
  type EcsService,
  type LoggedLine,
  logCapture,
  newRedis,
  newS3Client,
  serviceEnv,
  startEcsStandIn,
  uniqueName,
} from '@ferry/test-support';
import { Queue } from 'bullmq';
import { vi } from 'vitest';
import { FERRY_WORKER_COMMAND } from '../actuators/local-actuator.ts';
import { type AutoscalerHandle, startAutoscaler } from '../start-autoscaler.ts';
import { pointSdkAtStandIn } from './point-sdk-at-stand-in.ts';

export const CLUSTER = 'ferry-test';
export const SERVICE = 'ferry-workers';

/** One line a worker task logged, with the task's id. */
export type TaskLine = LoggedLine & { task: string };

export interface EcsBoxOptions {
  /** The service's desiredCount to begin with: what its last deployment left. */
  desiredCount: number;
  /** The autoscaler's variables beyond the queue, Redis, S3 and ECS ones (MIN_WORKERS, ...). */
  autoscaler: Record<string, string>;
  /** The worker tasks' variables beyond those; WORKER_CONCURRENCY is the autoscaler's. */
  worker: Record<string, string>;
}

export interface EcsBox {
  store: ImportStore;
  s3: ReturnType<typeof newS3Client>;
  bucket: string;
  service: EcsService;
  autoscaler: AutoscalerHandle;
  /** The tests' own ECS client (StopTask), found through the same endpoint variables. */
  ecs: ECSClient;
  /** Every worker task's log lines, in the order they came. */
  taskLines: TaskLine[];
  autoscalerLines: LoggedLine[];
  /** Queues one HTTP import per source, as the API does; answers their ids. */
  submit(imports: Array<{ url: string; key: string }>): Promise<string[]>;
  /** Stops the autoscaler, every task (each drains) and every connection; deletes the queue's keys. */
  close(): Promise<void>;
}

/**
 * The production ECS path on one machine, nothing mocked: the real autoscaler in `ecs` mode, the
 * ECS/CloudWatch stand-in running the service's tasks as real `ferry worker` processes, the test
 * Redis and S3 server, and a queue and a bucket of the test's own.
 */
export async function startEcsBox(options: EcsBoxOptions): Promise<EcsBox> {
  const queueName = uniqueName('autoscaler-ecs');
  const redis = newRedis();
  const queue = new Queue(queueName, { connection: newRedis() });
  const store = new ImportStore(redis, queueName);
  const s3 = newS3Client();
  const cleanups: Array<() => Promise<void>> = [
    async () => {
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      const keys = await redis.keys(`${store.keys.prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      s3.destroy();
      vi.unstubAllEnvs();
    },
  ];
  // Every step runs even when one fails, so no process outlives a failed test; the first error is kept.
  const close = async (): Promise<void> => {
    const failures: unknown[] = [];
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  };

  try {
    const bucket = await createTestBucket(s3, 'autoscaler-ecs');
    const taskLines: TaskLine[] = [];
    const standIn = await startEcsStandIn({
      tickMs: 250,
      taskOutput: (_service, task) => lineParser(taskLines, task),
    });
    cleanups.push(() => standIn.close());
    const concurrency = options.autoscaler.WORKER_CONCURRENCY ?? '2';
    const service = standIn.createService({
      cluster: CLUSTER,
      name: SERVICE,
      desiredCount: options.desiredCount,
      taskDefinition: {
        command: FERRY_WORKER_COMMAND.file,
        args: FERRY_WORKER_COMMAND.args,
        environment: serviceEnv(queueName, {
          PATH: process.env.PATH ?? '',
          // The worker logs its imports at info: the tests count them.
          LOG_LEVEL: 'info',
          WORKER_CONCURRENCY: concurrency,
          ...options.worker,
        }),
        stopTimeoutS: 30,
        cpu: 512,
        memoryMiB: 1024,
      },
    });

    pointSdkAtStandIn(standIn);
    const ecs = new ECSClient({});
    cleanups.push(async () => ecs.destroy());
    const log = logCapture();
    const autoscaler = await startAutoscaler(
      serviceEnv(queueName, {
        AUTOSCALER_MODE: 'ecs',
        ECS_CLUSTER: CLUSTER,
        ECS_SERVICE: SERVICE,
        AWS_REGION: standIn.clientEnv.AWS_REGION,
        AUTOSCALER_PORT: '0',
        AUTOSCALER_HOST: '127.0.0.1',
        SCALE_INTERVAL_S: '1',
        WORKER_CONCURRENCY: concurrency,
        LOG_LEVEL: 'info',
        ...options.autoscaler,
      }),
      { logger: createLogger('autoscaler', 'info', log.stream) },
    );
    cleanups.push(() => autoscaler.close());

    const submit = async (imports: Array<{ url: string; key: string }>): Promise<string[]> => {
      const records = imports.map(({ url, key }) =>
        store.newRecord(newImportId(), 'tenant-test', {
          source: { type: 'http', url },
          destination: { bucket, key },
        }),
      );
      await store.createMany(records);
      await queue.addBulk(
        records.map((record) => ({
          name: IMPORT_JOB_NAME,
          data: { importId: record.id },
          opts: { ...IMPORT_JOB_OPTIONS, jobId: record.id },
        })),
      );
      return records.map((record) => record.id);
    };

    return {
      store,
      s3,
      bucket,
      service,
      autoscaler,
      ecs,
      taskLines,
      autoscalerLines: log.lines,
      submit,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The stand-in writes a task's output a whole line at a time; a line that is not JSON is kept as is. */
function lineParser(lines: TaskLine[], task: string): Writable {
  return new Writable({
    write(chunk, _encoding, callback) {
      const text = String(chunk).trim();
      try {
        lines.push({ ...(JSON.parse(text) as LoggedLine), task });
      } catch {
        lines.push({ level: 50, msg: text, task });
      }
      callback();
    },
  });
}
