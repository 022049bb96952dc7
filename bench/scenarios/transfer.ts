import type { BenchContext } from '../context.ts';
import { ferryTransfers } from '../ferry.ts';
import type { OtlpSink } from '../otlp-sink.ts';
import type { Sink } from '../parties.ts';
import { rcloneTransfer } from '../rclone.ts';
import type { TransferRun, TransferScenario } from '../results.ts';
import { type SourceFile, warmPageCache } from '../source-files.ts';

/**
 * Scenarios 1, 2 and 2b: the same file into the same sink, Ferry then rclone, `repeat` times each.
 * Each Ferry run is a fresh worker that moves the file twice: its first import (a new process's, JIT
 * warm-up and endpoint probe included) and a second one, what a running worker of a fleet pays.
 * Into the null sink this measures the tools; into fauxqs it mostly measures fauxqs, which is
 * single-threaded and CPU-bound, so there only CPU-s/GiB and peak RSS say something about the tools;
 * Ceph RGW is the production server, whose one OSD on this machine's disk bounds MB/s. With
 * `tracing` (scenario 1), each round also runs a worker with tracing on, for its overhead.
 */
export async function runTransferScenario(
  ctx: BenchContext,
  sink: Sink,
  file: SourceFile,
  repeat: number,
  tracing?: OtlpSink,
): Promise<TransferScenario> {
  await warmPageCache(file);
  const ferry: TransferRun[] = [];
  const ferryRunning: TransferRun[] = [];
  const ferryTraced: TransferRun[] = [];
  const rclone: TransferRun[] | null = ctx.rclone ? [] : null;
  // Part of queue names, which take letters, digits, _ and - only ('Ceph RGW 16.2.15' has dots).
  const tag = sink.name.replaceAll(/[^\w-]+/g, '-');
  for (let i = 1; i <= repeat; i++) {
    ctx.log(`  ${sink.name}: Ferry, run ${i}/${repeat}`);
    const [first, again] = await ferryTransfers(ctx, sink, file, `${tag}-${i}`, 2);
    ferry.push(first as TransferRun);
    ferryRunning.push(again as TransferRun);
    report(ctx, first);
    report(ctx, again);
    if (tracing) {
      // The same worker, tracing on: in the same run and interleaved, so both see the same machine.
      ctx.log(`  ${sink.name}: Ferry with tracing on, run ${i}/${repeat}`);
      const traced = { ...ctx, workerEnv: { ...ctx.workerEnv, ...tracing.env } };
      const [, running] = await ferryTransfers(traced, sink, file, `${tag}-${i}-traced`, 2);
      ferryTraced.push(running as TransferRun);
      report(ctx, running);
    }
    if (!rclone) continue;
    ctx.log(`  ${sink.name}: rclone, run ${i}/${repeat}`);
    rclone.push(await rcloneTransfer(ctx, sink, file, `${tag}-${i}`));
    report(ctx, rclone.at(-1));
  }
  return {
    sink: sink.name,
    fileBytes: file.size,
    ferry,
    ferryRunning,
    rclone,
    ...(tracing ? { ferryTraced, tracesExported: tracing.received() } : {}),
  };
}

/**
 * The scenario into a sink started for it and stopped after. A sink that needs more than the
 * workspace (Ceph) may not start on every machine: that empties its table, not the whole run.
 */
export async function runTransferScenarioInto(
  ctx: BenchContext,
  sinkName: string,
  startSink: () => Promise<Sink>,
  file: SourceFile,
  repeat: number,
): Promise<TransferScenario> {
  let sink: Sink;
  try {
    sink = await startSink();
  } catch (error) {
    ctx.log(`  ${sinkName} did not start: ${(error as Error).message}`);
    return { sink: sinkName, fileBytes: file.size, ferry: [], rclone: null, error: (error as Error).message };
  }
  try {
    return await runTransferScenario(ctx, sink, file, repeat);
  } finally {
    await sink.stop();
  }
}

function report(ctx: BenchContext, run: TransferRun | undefined): void {
  if (!run) return;
  ctx.log(
    run.ok
      ? `    ${run.wallS.toFixed(2)} s wall, ${run.cpuS.toFixed(2)} CPU-s, peak RSS ${(run.peakRssBytes / 2 ** 20).toFixed(0)} MiB`
      : `    failed: ${run.error}`,
  );
}
