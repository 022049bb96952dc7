import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { defaultPolicyConfig, type PolicyConfig } from '@ferry/autoscaler';
import { renderChart } from '@ferry/autoscaler/simulate/render-chart';
import { simulate } from '@ferry/autoscaler/simulate/simulate';
import type { FleetModel } from '@ferry/autoscaler/simulate/simulated-fleet';
import { summarize } from '@ferry/autoscaler/simulate/summarize';
import { parseTrace } from '@ferry/autoscaler/simulate/trace';
import type { BenchContext } from '../context.ts';
import type { AutoscalingScenario, AutoscalingTrace } from '../results.ts';
import { REPO_ROOT } from '../workspace.ts';

const TRACES_DIR = join(REPO_ROOT, 'services/autoscaler/traces');
/** As in the spike trace's own example command: 40 workers hold 160 of the 200 imports at once. */
const MIN_WORKERS = 1;
const MAX_WORKERS = 40;
/** `ferry autoscaler simulate`'s defaults: WORKER_CONCURRENCY, a container's start, a job, SCALE_INTERVAL_S. */
const MODEL: FleetModel = { concurrency: 4, startupS: 60, jobDurationS: 120 };
const INTERVAL_S = 15;

/**
 * Scenario 7: every trace in services/autoscaler/traces replayed through the autoscaling policy
 * (defaults, min 1, max 40) with the simulated fleet of `ferry autoscaler simulate`, its chart
 * written to `chartDir` as autoscaler-<trace>.svg. Pure arithmetic: seconds, whatever the machine.
 */
export async function runAutoscalingScenario(
  ctx: BenchContext,
  chartDir: string,
): Promise<AutoscalingScenario> {
  const result: AutoscalingScenario = { traces: [] };
  try {
    await mkdir(chartDir, { recursive: true });
    const names = (await readdir(TRACES_DIR)).filter((name) => name.endsWith('.csv')).sort();
    const config: PolicyConfig = {
      ...defaultPolicyConfig(),
      minWorkers: MIN_WORKERS,
      maxWorkers: MAX_WORKERS,
    };
    for (const name of names) {
      const trace = await replay(join(TRACES_DIR, name), config, chartDir);
      ctx.log(
        `  ${trace.name}: peak ${trace.peakWorkers} workers, drained in ${trace.timeToDrainS ?? '∞'} s, ` +
          `${trace.directionChangesAtS.length} direction changes`,
      );
      result.traces.push(trace);
    }
  } catch (error) {
    result.error = (error as Error).message;
    ctx.log(`  failed: ${result.error}`);
  }
  return result;
}

async function replay(path: string, config: PolicyConfig, chartDir: string): Promise<AutoscalingTrace> {
  const name = basename(path, '.csv');
  const trace = parseTrace(await readFile(path, 'utf8'));
  const series = simulate(trace, config, MODEL, { intervalS: INTERVAL_S });
  const summary = summarize(series);
  const imports = trace.reduce((sum, row) => sum + row.arrivals, 0);
  const settings = [
    `min ${config.minWorkers}, max ${config.maxWorkers}`,
    `${MODEL.concurrency} jobs per worker`,
    `${MODEL.jobDurationS} s jobs`,
    `${MODEL.startupS} s startup`,
    `every ${INTERVAL_S} s`,
    `${config.scaleDownStabilizationS} s scale-down window`,
  ].join(' · ');
  const chart = join(chartDir, `autoscaler-${name}.svg`);
  await writeFile(
    chart,
    renderChart(series, {
      title: `${name}: autoscaler simulation`,
      subtitle: `${imports} imports · ${settings}`,
    }),
  );
  const changes = summary.directionChangesAtS;
  const gaps = changes.slice(1).map((t, i) => t - (changes[i] ?? 0));
  const inRepo = relative(REPO_ROOT, chart);
  return {
    name,
    imports,
    settings,
    ...summary,
    smallestGapS: gaps.length > 0 ? Math.min(...gaps) : null,
    chart: inRepo.startsWith('..') ? chart : inRepo,
  };
}
