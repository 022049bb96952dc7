import { writeFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { join } from 'node:path';
import { startRestartableRedis } from '@ferry/local-stack';
import { seededRandom, startChaosDriver } from '../chaos/chaos-driver.ts';
import type { ChaosResults } from '../chaos/chaos-results.ts';
import type { BenchContext } from '../context.ts';
import { BenchQueue } from '../ferry.ts';
import { describeMachine, finishMachine } from '../machine.ts';
import { startNullSink } from '../parties.ts';
import { Child, onCleanup } from '../processes.ts';
import type { ImportRequest } from '../workspace.ts';

export interface ChaosOptions {
  imports: number;
  fileBytes: number;
  command: string;
  /** Scenario 1's running-worker CPU-s/GiB to compare with, when known. */
  scenario1CpuPerGiB: number | null;
}

const FINAL = new Set(['completed', 'failed', 'canceled']);
const SEED = 12;
const KILL_EVERY_S: [number, number] = [3, 6];
const WORKER_CONCURRENCY = 10;
const MIN_WORKERS = 1;
const MAX_WORKERS = 20;
/** Ferry's fleet-wide limit per provider account, half the emulators' own: 429s must never come. */
const PROVIDER_LIMIT_PER_S = 10;
const EMULATOR_LIMIT_PER_S = 20;
/** A killed worker's imports are taken up again this long after (stall detection), not 30 s. */
const JOB_LOCK_MS = 10_000;
/** The sources process's nice value (the workers run at 0): see raisePriority. */
const SOURCES_NICE = -10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ChaosFile {
  kind: 'http' | 'dropbox' | 'gdrive';
  name: string;
  size: number;
  crc32: number;
  source: ImportRequest['source'];
}

interface FleetReport {
  workerCpuS: number;
  tasksStarted: number;
  peakDesired: number;
  stopped: Array<{ stopCode: string | null; stoppedReason: string | null; drainingWith: number | null }>;
}

interface SourcesThrottle {
  at: number;
  windowSpanMs: number;
  sourcesStallMs: number;
}

interface SourcesReport {
  stalls: { count: number; maxMs: number };
  http: { bytesSent: number };
  dropbox: {
    requests: number;
    rateLimited: number;
    duringPauses: number;
    bytesSent: number;
    throttledAt: number[];
    throttles: SourcesThrottle[];
  };
  gdrive: {
    requests: number;
    rateLimited: number;
    duringPauses: number;
    bytesSent: number;
    throttledAt: number[];
    throttles: SourcesThrottle[];
  };
}

const here = (file: string) => new URL(file, import.meta.url).pathname;

async function startScript(
  name: string,
  script: string,
  args: string[],
): Promise<{ child: Child; line: string }> {
  const child = new Child(name, process.execPath, [here(script), ...args], {});
  onCleanup(() => child.stop());
  return { child, line: await child.firstLine() };
}

/**
 * The emulators stand in for Dropbox's and Google's front ends, which stamp a request when it
 * arrives; here they stamp it when their event loop gets to it, and on two cores shared with twenty
 * workers that loop stood still for seconds (the sources process also generates every byte of 50 GiB),
 * so requests the fleet sent spaced were counted bunched. Ahead of the workers in the scheduler, the
 * sources see arrivals nearer the moment they happen. Answers the nice value it ran at.
 */
function raisePriority(ctx: BenchContext, child: Child): number {
  const pid = child.proc.pid;
  if (pid === undefined) return 0;
  try {
    setPriority(pid, SOURCES_NICE);
    return SOURCES_NICE;
  } catch (error) {
    ctx.log(
      `  could not raise the sources' priority (${(error as Error).message}): their 429s may be bunching`,
    );
    return getPriority(pid);
  }
}

/**
 * The fleet chaos run (issue 12): `imports` imports of `fileBytes` each submitted at once, mixed
 * HTTP / Dropbox / Drive sources generated on the fly, workers as ECS tasks sized by the autoscaler,
 * a chaos driver taking busy workers down every few seconds and Redis SIGKILLed and restarted once.
 */
export async function runChaosScenario(ctx: BenchContext, options: ChaosOptions): Promise<ChaosResults> {
  const machine = describeMachine(null);
  const mix = {
    http: Math.ceil(options.imports / 2),
    dropbox: Math.floor(options.imports / 4),
    gdrive: options.imports - Math.ceil(options.imports / 2) - Math.floor(options.imports / 4),
  };
  const results: ChaosResults = {
    command: options.command,
    machine,
    imports: options.imports,
    fileBytes: options.fileBytes,
    mix,
    settings: {
      workerConcurrency: WORKER_CONCURRENCY,
      minWorkers: MIN_WORKERS,
      maxWorkers: MAX_WORKERS,
      providerLimitPerS: PROVIDER_LIMIT_PER_S,
      emulatorLimitPerS: EMULATOR_LIMIT_PER_S,
      jobLockMs: JOB_LOCK_MS,
      killEveryS: KILL_EVERY_S,
      seed: SEED,
    },
    wallS: 0,
    identical: 0,
    failures: [],
    kills: { sigkill: 0, spot: 0 },
    redisRestarts: 0,
    redisDownMs: 0,
    sourceBytesSent: 0,
    refetchedBytes: 0,
    provider: {
      dropbox: { requests: 0, rateLimited: 0, duringPauses: 0 },
      gdrive: { requests: 0, rateLimited: 0, duringPauses: 0 },
    },
    scaleInStops: 0,
    scaleInBusyStops: 0,
    tasksStarted: 0,
    peakDesiredWorkers: 0,
    openUploads: 0,
    workerCpuS: 0,
    scenario1CpuPerGiB: options.scenario1CpuPerGiB,
  };
  try {
    await run(ctx, options, results);
  } catch (error) {
    results.error = (error as Error).message;
    ctx.log(`  chaos run failed: ${results.error}`);
  }
  finishMachine(machine);
  return results;
}

async function run(ctx: BenchContext, options: ChaosOptions, results: ChaosResults): Promise<void> {
  // Its own Redis, append-only file fsynced on every write: a SIGKILL loses nothing acknowledged.
  const redis = await startRestartableRedis();
  onCleanup(() => redis.close());
  const sink = await startNullSink();
  onCleanup(() => sink.stop());
  const sources = await startScript('chaos sources', '../chaos/chaos-sources-server.ts', [
    String(EMULATOR_LIMIT_PER_S),
  ]);
  const [sourcesUrl = '', dropboxUrl = '', gdriveUrl = ''] = sources.line.split(' ');
  results.sourcesPriority = raisePriority(ctx, sources.child);

  ctx.log(
    `  generating ${options.imports} sources of ${options.fileBytes} bytes (hashed once by the emulators)`,
  );
  const files: ChaosFile[] = [];
  for (const kind of ['http', 'dropbox', 'gdrive'] as const) {
    for (let index = 0; index < results.mix[kind]; index++) {
      const response = await fetch(`${sourcesUrl}/files`, {
        method: 'POST',
        body: JSON.stringify({ kind, index, size: options.fileBytes }),
      });
      if (!response.ok) throw new Error(`the sources refused a file: ${await response.text()}`);
      files.push((await response.json()) as ChaosFile);
    }
  }

  const queue = new BenchQueue(redis.url, `ferry-chaos-${ctx.runId}`);
  onCleanup(() => queue.close());
  const workerEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    REDIS_URL: redis.url,
    FERRY_QUEUE: queue.name,
    FERRY_SECRET_KEY: queue.secretKey,
    S3_ENDPOINT: sink.endpoint,
    S3_REGION: 'us-east-1',
    S3_FORCE_PATH_STYLE: '1',
    AWS_ACCESS_KEY_ID: sink.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sink.credentials.secretAccessKey,
    SOURCE_ALLOW_PRIVATE: '1',
    DROPBOX_API_URL: dropboxUrl,
    DROPBOX_CONTENT_URL: dropboxUrl,
    GDRIVE_API_URL: gdriveUrl,
    DROPBOX_RATE_LIMIT_PER_S: String(PROVIDER_LIMIT_PER_S),
    GDRIVE_RATE_LIMIT_PER_S: String(PROVIDER_LIMIT_PER_S),
    WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    JOB_LOCK_MS: String(JOB_LOCK_MS),
    METRICS_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...ctx.workerEnv,
  };
  const fleetConfig = join(ctx.tmpDir, `chaos-fleet-${ctx.runId}.json`);
  writeFileSync(
    fleetConfig,
    JSON.stringify({
      workerEnv,
      autoscalerEnv: {
        REDIS_URL: redis.url,
        FERRY_QUEUE: queue.name,
        MIN_WORKERS: String(MIN_WORKERS),
        MAX_WORKERS: String(MAX_WORKERS),
        WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
        SCALE_INTERVAL_S: '2',
        SCALE_DOWN_STABILIZATION_S: '15',
        LOG_LEVEL: 'warn',
      },
      logDir: join(ctx.tmpDir, `chaos-tasks-${ctx.runId}`),
    }),
  );
  const fleet = await startScript('chaos fleet', '../chaos/chaos-fleet.ts', [fleetConfig]);
  const fleetUrl = fleet.line.trim();

  const startedAt = Date.now();
  const ids = await Promise.all(
    files.map((file) => queue.submitSource(file.source, sink.bucket, `chaos/${ctx.runId}/${file.name}`)),
  );
  ctx.log(`  ${ids.length} imports submitted; the autoscaler sizes the fleet, the chaos driver strikes`);
  const driver = startChaosDriver({
    fleetUrl,
    everyS: KILL_EVERY_S,
    random: seededRandom(SEED),
    log: ctx.log,
  });

  const timeoutMs = Math.max(20 * 60_000, ((options.imports * options.fileBytes) / 20e6) * 1000);
  const deadline = Date.now() + timeoutMs;
  let final = 0;
  let lastLogged = 0;
  while (final < ids.length) {
    if (Date.now() > deadline)
      throw new Error(`${ids.length - final} imports not final after ${timeoutMs / 1000} s`);
    await sleep(1000);
    const records = await Promise.all(ids.map((id) => queue.get(id)));
    final = records.filter((record) => record && FINAL.has(record.status)).length;
    if (results.redisRestarts === 0 && final >= ids.length / 4) {
      const downAt = Date.now();
      results.redisRestartAtS = (downAt - startedAt) / 1000;
      await redis.kill();
      await redis.start();
      const downMs = Date.now() - downAt;
      results.redisRestarts = 1;
      results.redisDownMs = downMs;
      ctx.log(`  chaos: Redis SIGKILLed and restarted from its AOF (${downMs} ms)`);
    }
    if (Date.now() - lastLogged > 10_000) {
      lastLogged = Date.now();
      ctx.log(`  ${final}/${ids.length} final after ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
    }
  }
  results.wallS = (Date.now() - startedAt) / 1000;
  results.kills = await driver.stop();

  const fleetReport = (await (await fetch(`${fleetUrl}/close`, { method: 'POST' })).json()) as FleetReport;
  results.workerCpuS = fleetReport.workerCpuS;
  results.tasksStarted = fleetReport.tasksStarted;
  results.peakDesiredWorkers = fleetReport.peakDesired;
  const scaleIns = fleetReport.stopped.filter(
    (task) =>
      task.stopCode === 'ServiceSchedulerInitiated' && task.stoppedReason?.startsWith('Scaling activity'),
  );
  results.scaleInStops = scaleIns.length;
  results.scaleInBusyStops = scaleIns.filter((task) => (task.drainingWith ?? 0) > 0).length;

  const report = (await (await fetch(`${sourcesUrl}/report`)).json()) as SourcesReport;
  results.sourceBytesSent = report.http.bytesSent + report.dropbox.bytesSent + report.gdrive.bytesSent;
  results.refetchedBytes = Math.max(0, results.sourceBytesSent - options.imports * options.fileBytes);
  for (const provider of ['dropbox', 'gdrive'] as const) {
    const { requests, rateLimited, duringPauses, throttledAt, throttles } = report[provider];
    const throttledAtS = throttledAt.map((at) => Math.round((at - startedAt) / 100) / 10);
    results.provider[provider] = {
      requests,
      rateLimited,
      duringPauses,
      throttledAtS,
      throttles: throttles.map(({ windowSpanMs, sourcesStallMs }) => ({ windowSpanMs, sourcesStallMs })),
    };
  }
  results.sourcesStalls = report.stalls;
  const sinkStats = await sink.stats();
  results.openUploads = sinkStats?.openUploads ?? -1;
  results.openUploadKeys = sinkStats?.openUploadKeys ?? [];

  for (const [i, file] of files.entries()) {
    const problem = await checkImport(queue, sink, ids[i] as string, `chaos/${ctx.runId}/${file.name}`, file);
    if (problem === null) results.identical++;
    else if (results.failures.length < 10) results.failures.push(`${file.name}: ${problem}`);
  }
}

async function checkImport(
  queue: BenchQueue,
  sink: Awaited<ReturnType<typeof startNullSink>>,
  id: string,
  key: string,
  file: ChaosFile,
): Promise<string | null> {
  const record = await queue.get(id);
  if (record?.status !== 'completed') {
    return `import ${record?.status ?? 'missing'} ${record?.error?.code ?? ''} ${record?.error?.message ?? ''}`.trim();
  }
  const size = await sink.objectSize(key);
  if (size !== file.size) return `the sink holds ${size} bytes of ${file.size}`;
  const crc = await sink.objectCrc32(key);
  if (crc !== file.crc32)
    return `the object's CRC-32 ${crc?.toString(16)} is not the source's ${file.crc32.toString(16)}`;
  return null;
}
