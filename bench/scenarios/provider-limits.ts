import type { BenchContext } from '../context.ts';
import { DropboxEmulatorProcess, type EmulatedDropboxFile } from '../dropbox-emulator-process.ts';
import { BenchQueue, startFerryWorker } from '../ferry.ts';
import type { Sink } from '../parties.ts';
import { type Child, cpuDelta, cpuTimes } from '../processes.ts';
import type { ProviderLimitsRun, ProviderLimitsScenario } from '../results.ts';
import type { ImportRecord } from '../workspace.ts';

const WORKERS = 3;
const WORKER_CONCURRENCY = 8;
const LIMIT_PER_S = 20;
/** A provider that lowered the account's limit below what the fleet is configured for. */
const LOWERED_LIMIT_PER_S = 10;
/** A request already on its way when another worker's request was answered 429 arrives just after. */
const PAUSE_GRACE_MS = 100;
const TIMEOUT_MS = 10 * 60_000;
/** Rate-limited Dropbox endpoints; the emulator's token endpoint is outside the limit. */
const LIMITED_ENDPOINTS = new Set(['files/get_metadata', 'files/download']);
const FINAL = new Set(['completed', 'failed', 'canceled']);
const PROBLEMS_KEPT = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ProviderLimitsOptions {
  files: number;
  fileBytes: number;
}

interface Fleet {
  ctx: BenchContext;
  queue: BenchQueue;
  sink: Sink;
  emulator: DropboxEmulatorProcess;
  workers: Child[];
}

/**
 * Scenario 6: many Dropbox imports submitted at once, with one account's token, to three worker
 * processes that share the account's fleet-wide limit through Redis. The Dropbox emulator (its own
 * process) enforces the limit and logs every request, so the figures are the provider's view: how
 * often it had to say 429, and whether anyone knocked during a pause it had asked for. Then the
 * emulator's limit drops below the workers' setting, as when a provider lowers it, and a second
 * batch must still finish, every import on its first attempt.
 */
export async function runProviderLimitsScenario(
  ctx: BenchContext,
  sink: Sink,
  options: ProviderLimitsOptions,
): Promise<ProviderLimitsScenario> {
  const result: ProviderLimitsScenario = {
    workers: WORKERS,
    workerConcurrency: WORKER_CONCURRENCY,
    pauseGraceMs: PAUSE_GRACE_MS,
    atLimit: null,
    lowered: null,
  };
  const queue = new BenchQueue(ctx.redisUrl, `ferry-bench-${ctx.runId}-dropbox`);
  const workers: Child[] = [];
  let emulator: DropboxEmulatorProcess | null = null;
  try {
    emulator = await DropboxEmulatorProcess.start(LIMIT_PER_S);
    const files = await emulator.addFiles(options.files, options.fileBytes);
    const env = {
      DROPBOX_API_URL: emulator.url,
      DROPBOX_CONTENT_URL: emulator.url,
      DROPBOX_RATE_LIMIT_PER_S: String(LIMIT_PER_S),
      WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    };
    for (let i = 0; i < WORKERS; i++) workers.push(await startFerryWorker(ctx, queue, sink, env));
    const fleet: Fleet = { ctx, queue, sink, emulator, workers };

    ctx.log(`  ${files.length} imports at once; provider and workers at ${LIMIT_PER_S} req/s`);
    result.atLimit = await runBatch(fleet, files, LIMIT_PER_S, 'dropbox');
    logRun(ctx, result.atLimit);

    // Enough imports to fill every job slot of the fleet at once, from the same files.
    const some = files.slice(0, WORKERS * WORKER_CONCURRENCY);
    ctx.log(
      `  ${some.length} imports; provider lowered to ${LOWERED_LIMIT_PER_S} req/s, workers still at ${LIMIT_PER_S}`,
    );
    result.lowered = await runBatch(fleet, some, LOWERED_LIMIT_PER_S, 'dropbox-lowered');
    logRun(ctx, result.lowered);
  } catch (error) {
    result.error = (error as Error).message;
    ctx.log(`  failed: ${result.error}`);
  } finally {
    await Promise.allSettled(workers.map((worker) => worker.stop()));
    await emulator?.stop();
    await queue.close();
  }
  return result;
}

/** Submits one import per file at once, with a fresh token (so a fresh limiter key), and waits for all. */
async function runBatch(
  fleet: Fleet,
  files: EmulatedDropboxFile[],
  providerLimitPerS: number,
  label: string,
): Promise<ProviderLimitsRun> {
  const { ctx, queue, sink, emulator, workers } = fleet;
  const accessToken = await emulator.issueAccessToken();
  await emulator.setLimit(providerLimitPerS);
  const keyOf = (i: number) => `ferry/${ctx.runId}/${label}/${i}.bin`;

  const workersBefore = workers.map((worker) => cpuTimes(worker.pid));
  const emulatorBefore = cpuTimes(emulator.child.pid);
  const submittedAt = Date.now();
  const ids = await Promise.all(
    files.map((file, i) =>
      queue.submitSource(
        { type: 'dropbox', path: file.path, credentials: { accessToken } },
        sink.bucket,
        keyOf(i),
      ),
    ),
  );
  const records = await waitForAll(queue, ids, workers);
  const workerCpuS = workers.reduce(
    (sum, worker, i) => sum + cpuDelta(workersBefore[i] ?? { userS: 0, sysS: 0 }, cpuTimes(worker.pid)).cpuS,
    0,
  );
  const emulatorCpuS = cpuDelta(emulatorBefore, cpuTimes(emulator.child.pid)).cpuS;
  const lastDone = Math.max(...records.map((record) => Date.parse(record.updatedAt)));

  const report = await emulator.report(PAUSE_GRACE_MS);
  const limited = report.requests.filter((entry) => LIMITED_ENDPOINTS.has(entry.endpoint));
  const first = limited[0]?.at ?? 0;
  const last = limited.at(-1)?.at ?? 0;

  const problems: string[] = [];
  const attempts: Record<string, number> = {};
  let verified = 0;
  for (const [i, record] of records.entries()) {
    attempts[record.attempts] = (attempts[record.attempts] ?? 0) + 1;
    const file = files[i];
    const problem = file ? await checkImport(record, file, sink, keyOf(i)) : 'no file';
    if (problem === null) verified++;
    else problems.push(`${file?.path}: ${problem}`);
  }
  return {
    providerLimitPerS,
    workerLimitPerS: LIMIT_PER_S,
    imports: files.length,
    fileBytes: files[0]?.size ?? 0,
    wallS: (lastDone - submittedAt) / 1000,
    requests: limited.length,
    rateLimited: limited.filter((entry) => entry.rateLimited).length,
    busySpanS: (last - first) / 1000,
    pauses: report.pauses.length,
    duringPauses: report.duringPauses.length,
    failed: records.filter((record) => record.status !== 'completed').length,
    attempts,
    workerCpuS,
    emulatorCpuS,
    verified,
    problems: problems.slice(0, PROBLEMS_KEPT),
  };
}

/**
 * Polls the records of every unfinished import a few times a second: one poller per import, as
 * BenchQueue.waitForFinal would be, would cost the bench more CPU than the workers spend.
 */
async function waitForAll(queue: BenchQueue, ids: string[], workers: Child[]): Promise<ImportRecord[]> {
  const final = new Map<string, ImportRecord>();
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const pending = ids.filter((id) => !final.has(id));
    for (const record of await Promise.all(pending.map((id) => queue.get(id)))) {
      if (record && FINAL.has(record.status)) final.set(record.id, record);
    }
    if (final.size === ids.length) return ids.map((id) => final.get(id) as ImportRecord);
    const dead = workers.find((worker) => !worker.running);
    if (dead) throw new Error(`a worker exited: ${dead.output()}`);
    if (Date.now() > deadline) {
      throw new Error(
        `${ids.length - final.size} of ${ids.length} imports unfinished after ${TIMEOUT_MS / 1000} s`,
      );
    }
    await sleep(200);
  }
}

/** The import's result must name the file's size and content_hash, and the sink must hold that size. */
async function checkImport(
  record: ImportRecord,
  file: EmulatedDropboxFile,
  sink: Sink,
  key: string,
): Promise<string | null> {
  if (record.status !== 'completed' || !record.result) {
    return `${record.status}: ${record.error?.code ?? ''} ${record.error?.message ?? ''}`.trim();
  }
  const expected = `dropbox-content-hash:${file.contentHash}`;
  const { size, sourceChecksum } = record.result;
  if (size !== file.size || sourceChecksum !== expected) {
    return `result ${size} B ${sourceChecksum ?? 'without a source checksum'}, file ${file.size} B ${expected}`;
  }
  const stored = await sink.objectSize(key);
  return stored === file.size ? null : `the sink holds ${stored} bytes of ${file.size}`;
}

function logRun(ctx: BenchContext, run: ProviderLimitsRun): void {
  const share = run.requests > 0 ? (run.rateLimited / run.requests) * 100 : 0;
  ctx.log(
    `    ${run.wallS?.toFixed(1)} s, ${run.requests} requests (${share.toFixed(1)}% 429), ` +
      `${run.duringPauses} inside pauses, ${run.failed} failed, ${run.verified}/${run.imports} verified`,
  );
  for (const problem of run.problems) ctx.log(`    ${problem}`);
}
