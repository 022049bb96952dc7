import type { BenchContext } from '../context.ts';
import { ferryTransfer } from '../ferry.ts';
import type { Sink } from '../parties.ts';
import type { MemoryScenario, TransferRun } from '../results.ts';
import type { SourceFile } from '../source-files.ts';

/**
 * Scenario 3: does a worker's memory grow with the file? One fresh worker moves the big file into
 * the null sink; its peak RSS is compared with that of a fresh worker that moved the small file
 * (scenario 1's run when there is one, else measured here).
 */
export async function runMemoryScenario(
  ctx: BenchContext,
  sink: Sink,
  small: SourceFile,
  big: SourceFile,
  smallRun: TransferRun | null,
): Promise<MemoryScenario> {
  let smallResult = smallRun;
  if (!smallResult) {
    ctx.log(`  ${small.name} into the ${sink.name}`);
    smallResult = await ferryTransfer(ctx, sink, small, 'memory-small');
  }
  ctx.log(`  ${big.name} into the ${sink.name}`);
  const bigResult = await ferryTransfer(ctx, sink, big, 'memory-big');
  ctx.log(
    bigResult.ok
      ? `    peak RSS ${(bigResult.peakRssBytes / 2 ** 20).toFixed(0)} MiB, ${bigResult.wallS.toFixed(1)} s`
      : `    failed: ${bigResult.error}`,
  );
  return { small: smallResult, big: bigResult };
}
