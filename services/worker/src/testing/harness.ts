import type { S3Client } from '@aws-sdk/client-s3';
import {
  IMPORT_JOB_NAME,
  IMPORT_JOB_OPTIONS,
  type ImportRecord,
  type ImportRequest,
  type ImportStatus,
  ImportStore,
  type NotifyTarget,
  newImportId,
  SecretBox,
  type Source,
  sealRequest,
} from '@ferry/shared';
import {
  createTestBucket,
  defaultBackend,
  forgetQueueKeys,
  newRedis,
  newS3Client,
  type OpenMultipartUpload,
  openMultipartUploads,
  type S3TestBackend,
  serviceEnv,
  TEST_PATIENCE_MS,
  testRedisUrl,
  uniqueName,
} from '@ferry/test-support';
import { type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { startWorker, type WorkerDeps, type WorkerHandle } from '../start-worker.ts';
import { CheckpointStore } from '../transfer/checkpoint.ts';

/**
 * One integration test's world: its own queue and bucket on the shared test Redis and one of the
 * test S3 servers (fauxqs unless given), a way to submit imports as the API does, and the workers
 * it started, all closed by close().
 */
export class Harness {
  readonly queueName = uniqueName('worker-test');
  /** The test Redis unless the test brought its own (one it stops and restarts). */
  readonly redisUrl: string;
  readonly redis: Redis;
  readonly store: ImportStore;
  readonly checkpoints: CheckpointStore;
  readonly queue: Queue;
  readonly backend: S3TestBackend;
  readonly s3: S3Client;
  /** Seals with the key serviceEnv gives the workers, as the API would. */
  readonly secrets = SecretBox.fromEnv(serviceEnv(this.queueName));
  bucket = '';
  readonly #workers: WorkerHandle[] = [];
  /** The queue's own client: BullMQ leaves a connection it was given open on close. */
  readonly #queueConnection: Redis;

  private constructor(backend: S3TestBackend, redisUrl: string) {
    this.backend = backend;
    this.s3 = newS3Client(backend);
    this.redisUrl = redisUrl;
    this.redis = newRedis(redisUrl);
    this.store = new ImportStore(this.redis, this.queueName);
    this.checkpoints = new CheckpointStore(this.redis, this.store.keys);
    this.#queueConnection = newRedis(redisUrl);
    this.queue = new Queue(this.queueName, { connection: this.#queueConnection });
    // A test that stops its Redis waits the outage out; ioredis would print each failed reconnect.
    for (const client of [this.redis, this.#queueConnection]) client.on('error', () => {});
    this.queue.on('error', () => {});
  }

  static async create(
    backend: S3TestBackend = defaultBackend(),
    options: { redisUrl?: string } = {},
  ): Promise<Harness> {
    const harness = new Harness(backend, options.redisUrl ?? testRedisUrl());
    harness.bucket = await createTestBucket(harness.s3, 'worker-test');
    return harness;
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return serviceEnv(this.queueName, { REDIS_URL: this.redisUrl, ...extra }, this.backend);
  }

  /** Multipart uploads open in the harness's bucket, as its S3 server says (see openMultipartUploads). */
  openUploads(): Promise<OpenMultipartUpload[]> {
    return openMultipartUploads(this.backend, this.bucket);
  }

  async startWorker(extra: Record<string, string> = {}, deps: WorkerDeps = {}): Promise<WorkerHandle> {
    const handle = startWorker(this.env(extra), deps);
    this.#workers.push(handle);
    await handle.ready;
    return handle;
  }

  /** A queued record and its job at once (job id = import id), as the API's feeder leaves an import it fed. */
  async submit(
    source: Source,
    key = 'imported.bin',
    jobOptions: JobsOptions = {},
    id = newImportId(),
    notify?: NotifyTarget,
  ): Promise<string> {
    return this.submitRequest(
      { source, destination: { bucket: this.bucket, key }, ...(notify ? { notify } : {}) },
      jobOptions,
      id,
    );
  }

  /** submit() with the whole request given: overwrite policies, a bucket of the test's own. */
  async submitRequest(
    plain: ImportRequest,
    jobOptions: JobsOptions = {},
    id = newImportId(),
  ): Promise<string> {
    const request = sealRequest(plain, this.secrets);
    await this.store.createMany([this.store.newRecord(id, 'tenant-test', request)]);
    await this.queue.add(
      IMPORT_JOB_NAME,
      { importId: id },
      { ...IMPORT_JOB_OPTIONS, ...jobOptions, jobId: id },
    );
    return id;
  }

  /** What the API does on cancel. */
  async cancel(id: string): Promise<void> {
    await this.store.markCanceled(id);
    await this.redis.publish(this.store.keys.cancelChannel(), id);
  }

  async waitFor(
    id: string,
    until: (record: ImportRecord) => boolean,
    timeoutMs = TEST_PATIENCE_MS,
  ): Promise<ImportRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const record = await this.store.get(id);
      if (record && until(record)) return record;
      if (Date.now() > deadline) {
        throw new Error(`import ${id} did not reach the wanted state in time: ${JSON.stringify(record)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  waitForStatus(id: string, statuses: ImportStatus[], timeoutMs?: number): Promise<ImportRecord> {
    return this.waitFor(id, (record) => statuses.includes(record.status), timeoutMs);
  }

  /**
   * Waits until the import's checkpoint holds at least `parts` finished parts and, with `inFlight`,
   * until the parts after them are at least `inFlight.bytes` under way: the moment a test interrupts
   * a transfer so that it loses what was in flight.
   */
  /** Waits until every one of `ids` is completed. */
  async waitForAllCompleted(ids: readonly string[], timeoutMs = TEST_PATIENCE_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const statuses = await Promise.all(ids.map((id) => this.store.status(id)));
      const left = statuses.filter((status) => status !== 'completed').length;
      if (left === 0) return;
      if (Date.now() > deadline) throw new Error(`${left} of ${ids.length} imports are not completed`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  async waitForCheckpointedParts(
    id: string,
    parts: number,
    options: { timeoutMs?: number; inFlight?: { partSize: number; bytes: number } } = {},
  ): Promise<void> {
    const { timeoutMs = TEST_PATIENCE_MS, inFlight } = options;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [record, checkpoint] = await Promise.all([this.store.get(id), this.checkpoints.load(id)]);
      const finished = checkpoint?.parts.size ?? 0;
      const underWay = (record?.bytesDone ?? 0) - finished * (inFlight?.partSize ?? 0);
      if (finished >= parts && underWay >= (inFlight?.bytes ?? 0)) return;
      if (Date.now() > deadline) {
        throw new Error(`import ${id} has ${finished} parts checkpointed, ${underWay} bytes beyond them`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Waits until BullMQ has finished with the job (completed or failed) and returns its state. */
  async waitForJobState(id: string, states: string[], timeoutMs = TEST_PATIENCE_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await this.queue.getJobState(id);
      if (states.includes(state)) return state;
      if (Date.now() > deadline) throw new Error(`job ${id} is still ${state}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#workers.map((worker) => worker.close()));
    await this.queue.obliterate({ force: true }).catch(() => {});
    await this.queue.close();
    this.#queueConnection.disconnect();
    await forgetQueueKeys(this.redis, this.queueName);
    this.redis.disconnect();
    this.s3.destroy();
  }
}
