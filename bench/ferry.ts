import { randomBytes } from 'node:crypto';
import { watchChecksumMode } from './checksum-mode.ts';
import type { BenchContext } from './context.ts';
import type { Sink } from './parties.ts';
import { Child, cpuDelta, cpuTimes, peakRssBytes, rssBytes, totalCpuTimes } from './processes.ts';
import type { TransferRun } from './results.ts';
import type { SourceFile } from './source-files.ts';
import {
  IMPORT_JOB_NAME,
  IMPORT_JOB_OPTIONS,
  type ImportRecord,
  type ImportRequest,
  ImportStore,
  newImportId,
  Queue,
  REPO_ROOT,
  Redis,
  SecretBox,
  SecretKey,
  sealRequest,
} from './workspace.ts';

const TENANT = 'bench';
const FINAL = ['completed', 'failed', 'canceled'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One benchmark's queue, used the way the API uses it: a record in the ImportStore, then a BullMQ
 * job whose id is the import id, its request sealed. Going straight to Redis keeps the API's CPU
 * out of the picture.
 */
export class BenchQueue {
  readonly name: string;
  /** FERRY_SECRET_KEY for this queue's workers: the key its requests are sealed with. */
  readonly secretKey = randomBytes(32).toString('base64');
  readonly #secrets = new SecretBox(new SecretKey(Buffer.from(this.secretKey, 'base64')));
  readonly #redis: Redis;
  readonly #store: ImportStore;
  readonly #queue: Queue;
  /** BullMQ does not close a connection it was given, so we do. */
  readonly #queueConnection: Redis;

  constructor(redisUrl: string, name: string) {
    this.name = name;
    this.#redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.#store = new ImportStore(this.#redis, name);
    this.#queueConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.#queue = new Queue(name, { connection: this.#queueConnection });
  }

  submit(url: string, bucket: string, key: string): Promise<string> {
    return this.submitSource({ type: 'http', url }, bucket, key);
  }

  async submitSource(source: ImportRequest['source'], bucket: string, key: string): Promise<string> {
    const id = newImportId();
    const request = sealRequest({ source, destination: { bucket, key } }, this.#secrets);
    await this.#store.createMany([this.#store.newRecord(id, TENANT, request)]);
    await this.#queue.add(IMPORT_JOB_NAME, { importId: id }, { ...IMPORT_JOB_OPTIONS, jobId: id });
    return id;
  }

  get(id: string): Promise<ImportRecord | null> {
    return this.#store.get(id);
  }

  /** Polls every 25 ms: short next to a transfer, so wall time is not padded by the polling. */
  async waitFor(
    id: string,
    until: (record: ImportRecord) => boolean,
    options: { timeoutMs: number; worker?: Child },
  ): Promise<ImportRecord> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const record = await this.#store.get(id);
      if (record && until(record)) return record;
      if (options.worker && !options.worker.running) {
        throw new Error(`the worker exited (${record?.status ?? 'no record'}): ${options.worker.output()}`);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `import ${id} is still ${record?.status ?? 'missing'} after ${options.timeoutMs / 1000} s`,
        );
      }
      await sleep(25);
    }
  }

  waitForFinal(id: string, options: { timeoutMs: number; worker?: Child }): Promise<ImportRecord> {
    return this.waitFor(id, (record) => FINAL.includes(record.status), options);
  }

  /** Workers connected to this queue, from Redis's client list. */
  async workerCount(): Promise<number> {
    return (await this.#queue.getWorkers()).length;
  }

  async close(): Promise<void> {
    await this.#queue.obliterate({ force: true }).catch(() => {});
    await this.#queue.close();
    const keys = await this.#redis.keys(`${this.#store.keys.prefix}*`);
    if (keys.length > 0) await this.#redis.del(...keys);
    this.#redis.disconnect();
    this.#queueConnection.disconnect();
  }
}

/**
 * A fresh `ferry worker` process, as a container runs it, so that its peak RSS belongs to this
 * benchmark alone. Resolves once it is connected and idle, so its start-up CPU is not counted.
 */
export async function startFerryWorker(
  ctx: BenchContext,
  queue: BenchQueue,
  sink: Sink,
  extraEnv: Record<string, string> = {},
): Promise<Child> {
  const before = await queue.workerCount();
  const worker = new Child('ferry worker', process.execPath, ['packages/cli/src/main.ts', 'worker'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      REDIS_URL: ctx.redisUrl,
      FERRY_QUEUE: queue.name,
      S3_ENDPOINT: sink.endpoint,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: '1',
      AWS_ACCESS_KEY_ID: sink.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: sink.credentials.secretAccessKey,
      SOURCE_ALLOW_PRIVATE: '1',
      FERRY_SECRET_KEY: queue.secretKey,
      // Info is a few lines per import (started, the S3 checksum mode chosen, completed), none per
      // part: next to a transfer's cost nothing, and the checksum mode is read from it.
      LOG_LEVEL: 'info',
      ...ctx.workerEnv,
      ...extraEnv,
    },
  });
  const deadline = Date.now() + 30_000;
  while ((await queue.workerCount()) <= before) {
    if (!worker.running) throw new Error(`the worker exited on start: ${worker.output()}`);
    if (Date.now() > deadline) throw new Error(`the worker did not connect in 30 s: ${worker.output()}`);
    await sleep(100);
  }
  // Module loading and JIT warm-up go on briefly after the connection is up.
  await sleep(1000);
  return worker;
}

/** Moves `file` into `sink` with one fresh Ferry worker and measures that worker. */
export async function ferryTransfer(
  ctx: BenchContext,
  sink: Sink,
  file: SourceFile,
  label: string,
): Promise<TransferRun> {
  const [first] = await ferryTransfers(ctx, sink, file, label, 1);
  return first as TransferRun;
}

/**
 * Moves `file` into `sink` `count` times, one import after the other, with one fresh Ferry worker,
 * and measures each import on its own. The first is a new process's first import: it also pays the
 * JIT's warm-up, the SDK's first-use set-up and the endpoint probe. The later ones are what a
 * running worker of a fleet pays.
 */
export async function ferryTransfers(
  ctx: BenchContext,
  sink: Sink,
  file: SourceFile,
  label: string,
  count: number,
): Promise<TransferRun[]> {
  const queue = new BenchQueue(ctx.redisUrl, `ferry-bench-${ctx.runId}-${label}`);
  const runs: TransferRun[] = [];
  let worker: Child | null = null;
  try {
    worker = await startFerryWorker(ctx, queue, sink);
    const checksumMode = watchChecksumMode(worker);
    for (let i = 1; i <= count; i++) {
      const key = `ferry/${ctx.runId}/${label}/${i}/${file.name}`;
      runs.push(await measureImport(ctx, queue, worker, sink, file, key, checksumMode));
    }
  } catch (error) {
    while (runs.length < count) runs.push(failedRun('ferry', sink, file, error));
  } finally {
    await worker?.stop();
    await queue.close();
  }
  return runs;
}

async function measureImport(
  ctx: BenchContext,
  queue: BenchQueue,
  worker: Child,
  sink: Sink,
  file: SourceFile,
  key: string,
  checksumMode: () => TransferRun['checksumMode'],
): Promise<TransferRun> {
  await ctx.source.stats(true);
  const idleRss = rssBytes(worker.pid);
  const cpuBefore = cpuTimes(worker.pid);
  const sinkBefore = totalCpuTimes(sink.pids);
  const started = performance.now();
  const id = await queue.submit(ctx.source.fileUrl(file), sink.bucket, key);
  const record = await queue.waitForFinal(id, { timeoutMs: 30 * 60_000, worker });
  const wallS = (performance.now() - started) / 1000;
  const cpu = cpuDelta(cpuBefore, cpuTimes(worker.pid));
  const sinkCpu = cpuDelta(sinkBefore, totalCpuTimes(sink.pids));
  const peak = peakRssBytes(worker.pid);
  const served = await ctx.source.stats();
  const check = await verifyFerryObject(record, file, sink, key);
  return {
    tool: 'ferry',
    sink: sink.name,
    bytes: file.size,
    ok: check.ok,
    ...(check.ok ? {} : { error: check.detail }),
    wallS,
    ...cpu,
    peakRssBytes: peak,
    idleRssBytes: idleRss,
    sinkCpuS: sinkCpu.cpuS,
    source: { requests: served.requests, bytes: served.bytes },
    checksumMode: checksumMode(),
    verified: check.detail,
  };
}

/**
 * The record's result must name the source's size and CRC-32 (the worker combines it from the parts'
 * CRC-32s; each part was made sure of in the worker's checksum mode) and the sink must hold that many
 * bytes and, where it can tell (all three sinks can), the CRC-32 of the bytes it holds or, for the
 * null sink, of the parts it was sent, combined in the order CompleteMultipartUpload listed them.
 */
export async function verifyFerryObject(
  record: ImportRecord,
  file: SourceFile,
  sink: Sink,
  key: string,
): Promise<{ ok: boolean; detail: string }> {
  if (record.status !== 'completed' || !record.result) {
    return {
      ok: false,
      detail: `import ${record.status}: ${record.error?.code ?? ''} ${record.error?.message ?? ''}`,
    };
  }
  const expected = `crc32:${file.crc32.toString(16).padStart(8, '0')}`;
  if (record.result.size !== file.size || record.result.checksum !== expected) {
    return {
      ok: false,
      detail: `result ${record.result.size} B ${record.result.checksum}, source ${file.size} B ${expected}`,
    };
  }
  const stored = await sink.objectSize(key);
  if (stored !== file.size) return { ok: false, detail: `the sink holds ${stored} bytes of ${file.size}` };
  const storedCrc = await sink.objectCrc32(key);
  if (storedCrc === null) return { ok: true, detail: 'result CRC-32 = source; sink size = source' };
  if (storedCrc !== file.crc32) return { ok: false, detail: 'the stored bytes differ from the source' };
  return { ok: true, detail: 'sink CRC-32 of the object = source' };
}

export function failedRun(
  tool: TransferRun['tool'],
  sink: Sink,
  file: SourceFile,
  error: unknown,
): TransferRun {
  return {
    tool,
    sink: sink.name,
    bytes: file.size,
    ok: false,
    error: (error as Error).message,
    wallS: 0,
    userS: 0,
    sysS: 0,
    cpuS: 0,
    peakRssBytes: 0,
    sinkCpuS: null,
    source: { requests: 0, bytes: 0 },
    verified: 'failed',
  };
}
