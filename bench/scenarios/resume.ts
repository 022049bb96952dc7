import type { BenchContext } from '../context.ts';
import { BenchQueue, startFerryWorker, verifyFerryObject } from '../ferry.ts';
import type { Sink, SourceStats } from '../parties.ts';
import type { Child } from '../processes.ts';
import type { ResumeScenario } from '../results.ts';
import type { SourceFile } from '../source-files.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Scenario 5: SIGKILL a worker halfway through a file (default part size and concurrency), start a
 * fresh one, and count the bytes the source has to send twice. The kill is triggered by the
 * source's own byte count, polled every few ms: the record's bytesDone is only written once a
 * second, by which time a fast transfer is long past 50%, and the source's count does not depend
 * on how the engine stores its progress.
 */
export async function runResumeScenario(
  ctx: BenchContext,
  sink: Sink,
  file: SourceFile,
): Promise<ResumeScenario> {
  const lockEnv = await shortJobLockEnv();
  const result: ResumeScenario = {
    fileBytes: file.size,
    workerEnv: lockEnv,
    killedAt: null,
    resumedAfterS: null,
    totalWallS: null,
    source: null,
    refetchedBytes: null,
    repeatedRanges: [],
    ok: false,
    verified: 'not completed',
  };
  if (Object.keys(lockEnv).length === 0) {
    ctx.log("  the worker has no job-lock setting: waiting for BullMQ's stall detection (30-60 s)");
  }
  const queue = new BenchQueue(ctx.redisUrl, `ferry-bench-${ctx.runId}-resume`);
  const key = `ferry/${ctx.runId}/resume/${file.name}`;
  const workers: Child[] = [];
  try {
    workers.push(await startFerryWorker(ctx, queue, sink, lockEnv));
    await ctx.source.stats(true);
    const started = performance.now();
    const id = await queue.submit(ctx.source.fileUrl(file), sink.bucket, key);

    let stats: SourceStats = await ctx.source.stats();
    while (stats.bytes < file.size / 2) {
      const status = (await queue.get(id))?.status;
      if (status && status !== 'queued' && status !== 'running') {
        throw new Error(`the import ended (${status}) before it was half done`);
      }
      await sleep(5);
      stats = await ctx.source.stats();
    }
    workers[0]?.kill();
    const killedAt = performance.now();
    const killedAtEpochMs = Date.now();
    await workers[0]?.exited;
    const record = await queue.get(id);
    result.killedAt = {
      sourceBytes: stats.bytes,
      recordBytesDone: record?.bytesDone ?? 0,
      afterS: (killedAt - started) / 1000,
    };
    ctx.log(
      `  SIGKILL after ${mib(stats.bytes)} MiB served (record: ${mib(record?.bytesDone ?? 0)} MiB done)`,
    );

    // Redis drops the dead worker's connections at once; waiting for that lets the readiness check
    // below count only the new worker.
    while ((await queue.workerCount()) > 0) await sleep(50);
    const requestsAtKill = (await ctx.source.stats()).requests;
    workers.push(await startFerryWorker(ctx, queue, sink, lockEnv));
    const second = workers[1];
    const final = await queue.waitForFinal(id, {
      timeoutMs: 10 * 60_000,
      ...(second ? { worker: second } : {}),
    });
    result.totalWallS = (performance.now() - started) / 1000;
    const served = await ctx.source.stats();
    result.resumedAfterS = firstRequestAfter(served, requestsAtKill, killedAtEpochMs);
    result.source = { requests: served.requests, bytes: served.bytes };
    result.refetchedBytes = served.bytes - file.size;
    result.repeatedRanges = repeatedRanges(served);
    const check = await verifyFerryObject(final, file, sink, key);
    const sinkStats = await sink.stats();
    const checksumFailures = sinkStats?.checksumFailures ?? 0;
    result.ok = check.ok && checksumFailures === 0;
    result.verified = `${check.detail}${sinkStats ? `; sink: ${checksumFailures} checksum failures` : ''}`;
    if (!result.ok) result.error = result.verified;
    ctx.log(`  re-fetched ${mib(result.refetchedBytes)} MiB; ${result.verified}`);
  } catch (error) {
    result.error = (error as Error).message;
    ctx.log(`  failed: ${result.error}`);
  } finally {
    await Promise.allSettled(workers.map((worker) => worker.stop()));
    await queue.close();
  }
  return result;
}

/**
 * When the worker has a job-lock setting (being added by the worker's owners), a short lock makes
 * the dead worker's job count as stalled within seconds instead of BullMQ's 30-60 s. Bytes
 * re-fetched do not depend on it; only the wait does.
 */
async function shortJobLockEnv(): Promise<Record<string, string>> {
  try {
    const { WorkerEnv } = await import('../../services/worker/src/env.ts');
    const name = Object.keys(WorkerEnv.shape).find((field) => /LOCK/.test(field));
    if (name?.endsWith('_MS')) return { [name]: '5000' };
    if (name?.endsWith('_S')) return { [name]: '5' };
  } catch {
    // The worker's config did not load; go with the defaults.
  }
  return {};
}

/** Seconds from the kill to the first request the source saw from the next worker. */
function firstRequestAfter(
  stats: SourceStats,
  requestsAtKill: number,
  killedAtEpochMs: number,
): number | null {
  const next = stats.ranges[requestsAtKill];
  return next ? (next.at - killedAtEpochMs) / 1000 : null;
}

function repeatedRanges(stats: SourceStats): string[] {
  const seen = new Map<string, number>();
  for (const entry of stats.ranges) {
    if (entry.method !== 'GET') continue;
    const range = entry.range ?? 'whole file';
    seen.set(range, (seen.get(range) ?? 0) + 1);
  }
  return [...seen].filter(([, count]) => count > 1).map(([range, count]) => `${range} ×${count}`);
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
