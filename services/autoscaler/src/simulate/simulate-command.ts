import { readFile, writeFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isFerryError } from '@ferry/shared';
import { checkPolicyConfig, defaultPolicyConfig } from '../policy/policy-config.ts';
import type { PolicyConfig, RateLimit } from '../policy/types.ts';
import { parseRateLimit, RATE_LIMIT_FORM } from '../policy-env-fields.ts';
import { renderChart } from './render-chart.ts';
import { simulate } from './simulate.ts';
import type { FleetModel } from './simulated-fleet.ts';
import { type SimulationSummary, summarize } from './summarize.ts';
import { parseTrace, type TraceRow } from './trace.ts';

export const SIMULATE_USAGE = `Usage: pnpm ferry autoscaler simulate --trace <csv> [options]

Replays a load trace (CSV: t_s,arrivals[,job_duration_s]) through the autoscaling policy with a
simulated fleet, writes a chart (SVG) and prints a summary.

  --trace <csv>          the load trace (required)
  --out <svg>            where to write the chart (default: <trace name>.svg here)
  --title <text>         the chart's title (default: the trace's file name)
  --min <n>              MIN_WORKERS (default 1)
  --max <n>              MAX_WORKERS (default 10)
  --concurrency <n>      jobs per worker, WORKER_CONCURRENCY (default 4)
  --interval <s>         control interval, SCALE_INTERVAL_S (default 15)
  --down-window <s>      scale-down stabilization, SCALE_DOWN_STABILIZATION_S (default 300)
  --up-window <s>        scale-up stabilization (default 0)
  --up-limit <w,p[,s]>   up by at most the larger of w workers and p% per s seconds,
                         SCALE_UP_LIMIT (default 4,100 per --interval)
  --down-limit <w,p[,s]> the same for scaling in, SCALE_DOWN_LIMIT (default 0,100 per --interval)
  --target <share>       target utilisation of job slots, 0-1 (default 0.9)
  --tolerance <share>    no change within this share (default 0.1)
  --activation <jobs>    backlog that starts a fleet at zero (default 0)
  --cooldown <s>         idle time before scaling to zero with --min 0 (default 300)
  --startup <s>          seconds from asking for a worker to its first job (default 60)
  --job-duration <s>     seconds per job where the trace does not say (default 120)
  --initial <n>          workers running at the start (default: --min)`;

/** Where the command writes: \`process\` will do. */
export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

class UsageError extends Error {}

const OPTIONS = {
  trace: { type: 'string' },
  out: { type: 'string' },
  title: { type: 'string' },
  min: { type: 'string' },
  max: { type: 'string' },
  concurrency: { type: 'string' },
  interval: { type: 'string' },
  'down-window': { type: 'string' },
  'up-window': { type: 'string' },
  'up-limit': { type: 'string' },
  'down-limit': { type: 'string' },
  target: { type: 'string' },
  tolerance: { type: 'string' },
  activation: { type: 'string' },
  cooldown: { type: 'string' },
  startup: { type: 'string' },
  'job-duration': { type: 'string' },
  initial: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The CLI option for each policy field, so a bad combination names what the user typed. */
const OPTION_OF_FIELD: Record<string, string> = {
  minWorkers: '--min',
  maxWorkers: '--max',
  scaleDownStabilizationS: '--down-window',
  scaleUpStabilizationS: '--up-window',
  scaleUpLimit: '--up-limit',
  scaleDownLimit: '--down-limit',
  targetUtilization: '--target',
  tolerance: '--tolerance',
  activationBacklog: '--activation',
  scaleToZeroCooldownS: '--cooldown',
};

type Values = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean;
};

function numberOption(
  values: Values,
  name: keyof typeof OPTIONS,
  fallback: number,
  { min, max, whole }: { min: number; max: number; whole: boolean },
): number {
  const text = values[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (
    typeof text !== 'string' ||
    text.trim() === '' ||
    !Number.isFinite(value) ||
    (whole && !Number.isInteger(value)) ||
    value < min ||
    value > max
  ) {
    throw new UsageError(
      `--${name} must be ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${text}"`,
    );
  }
  return value;
}

/** A --up-limit or --down-limit; without a period, the interval (as the service does). */
function rateLimitOption(
  values: Values,
  name: 'up-limit' | 'down-limit',
  fallback: RateLimit,
  intervalS: number,
): RateLimit {
  const text = values[name];
  if (text === undefined) return { ...fallback, periodS: intervalS };
  const limit = parseRateLimit(text);
  if (limit === null) throw new UsageError(`--${name} ${RATE_LIMIT_FORM}, got "${text}"`);
  return { workers: limit.workers, percent: limit.percent, periodS: limit.periodS ?? intervalS };
}

function readSettings(values: Values): { config: PolicyConfig; model: FleetModel; intervalS: number } {
  const defaults = defaultPolicyConfig();
  const whole = (min: number, max: number) => ({ min, max, whole: true });
  const intervalS = numberOption(values, 'interval', 15, whole(1, 3600));
  const config: PolicyConfig = {
    ...defaults,
    minWorkers: numberOption(values, 'min', defaults.minWorkers, whole(0, 10_000)),
    maxWorkers: numberOption(values, 'max', defaults.maxWorkers, whole(1, 10_000)),
    scaleDownStabilizationS: numberOption(
      values,
      'down-window',
      defaults.scaleDownStabilizationS,
      whole(0, 86_400),
    ),
    scaleUpStabilizationS: numberOption(
      values,
      'up-window',
      defaults.scaleUpStabilizationS,
      whole(0, 86_400),
    ),
    targetUtilization: numberOption(values, 'target', defaults.targetUtilization, {
      min: 0.01,
      max: 1,
      whole: false,
    }),
    tolerance: numberOption(values, 'tolerance', defaults.tolerance, { min: 0, max: 0.99, whole: false }),
    activationBacklog: numberOption(values, 'activation', defaults.activationBacklog, whole(0, 1_000_000)),
    scaleToZeroCooldownS: numberOption(values, 'cooldown', defaults.scaleToZeroCooldownS, whole(0, 86_400)),
    scaleUpLimit: rateLimitOption(values, 'up-limit', defaults.scaleUpLimit, intervalS),
    scaleDownLimit: rateLimitOption(values, 'down-limit', defaults.scaleDownLimit, intervalS),
  };
  try {
    checkPolicyConfig(config);
  } catch (error) {
    if (!isFerryError(error)) throw error;
    const problems = (error.details ?? []).map(
      (d) => `${d.field.replace(/^[A-Za-z]+/, (head) => OPTION_OF_FIELD[head] ?? head)} ${d.message}`,
    );
    throw new UsageError(problems.join('; '));
  }
  const model: FleetModel = {
    concurrency: numberOption(values, 'concurrency', 4, whole(1, 256)),
    startupS: numberOption(values, 'startup', 60, whole(0, 3600)),
    jobDurationS: numberOption(values, 'job-duration', 120, { min: 1, max: 86_400, whole: false }),
  };
  if (values.initial !== undefined)
    model.initialWorkers = numberOption(values, 'initial', 0, whole(0, config.maxWorkers));
  return { config, model, intervalS };
}

/** "9:05", "1:02:03". */
function formatClock(seconds: number): string {
  const s = Math.round(seconds);
  const mm = String(Math.floor((s % 3600) / 60));
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm.padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

function summaryLines(summary: SimulationSummary, chartPath: string): string[] {
  const hours = summary.workerSeconds / 3600;
  const rows: [string, string][] = [
    ['peak backlog', `${summary.peakBacklog} jobs at ${formatClock(summary.peakBacklogAtS)}`],
    ['peak workers', `${summary.peakWorkers} at ${formatClock(summary.peakWorkersAtS)}`],
    ['time to drain', summary.timeToDrainS === null ? 'never drained' : formatClock(summary.timeToDrainS)],
    ['worker-seconds', `${summary.workerSeconds.toLocaleString('en-US')} (${hours.toFixed(1)} worker-hours)`],
    ['direction changes', String(summary.directionChangesAtS.length)],
    ['simulated', formatClock(summary.durationS)],
    ['chart', chartPath],
  ];
  return rows.map(([name, value]) => `  ${name.padEnd(18)} ${value}`);
}

/**
 * `ferry autoscaler simulate`: replays a trace, writes the chart and prints the summary. Returns the
 * exit code: 0 done, 1 the trace or a file could not be read or written, 2 bad options.
 */
export async function runSimulateCommand(argv: string[], io: CommandIo): Promise<number> {
  let values: Values;
  let settings: ReturnType<typeof readSettings>;
  try {
    values = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
    if (values.help) {
      io.stdout.write(`${SIMULATE_USAGE}\n`);
      return 0;
    }
    if (!values.trace) throw new UsageError('--trace <csv> is required');
    settings = readSettings(values);
  } catch (error) {
    const known =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (!known) throw error;
    io.stderr.write(`ferry autoscaler simulate: ${(error as Error).message}\n\n${SIMULATE_USAGE}\n`);
    return 2;
  }

  const tracePath = resolve(values.trace);
  const name = basename(tracePath, extname(tracePath));
  const outPath = resolve(values.out ?? `${name}.svg`);
  let trace: TraceRow[];
  try {
    trace = parseTrace(await readFile(tracePath, 'utf8'));
  } catch (error) {
    const message = isFerryError(error)
      ? error.message
      : `cannot read ${tracePath}: ${(error as Error).message}`;
    io.stderr.write(`ferry autoscaler simulate: ${message}\n`);
    return 1;
  }

  const { config, model, intervalS } = settings;
  const series = simulate(trace, config, model, { intervalS });
  const summary = summarize(series);
  const imports = trace.reduce((sum, row) => sum + row.arrivals, 0);
  const subtitle = [
    `${imports} imports`,
    `min ${config.minWorkers}, max ${config.maxWorkers}`,
    `${model.concurrency} jobs per worker`,
    `${model.jobDurationS} s jobs`,
    `${model.startupS} s startup`,
    `every ${intervalS} s`,
    `${config.scaleDownStabilizationS} s scale-down window`,
  ].join(' · ');
  try {
    await writeFile(
      outPath,
      renderChart(series, { title: values.title ?? `${name}: autoscaler simulation`, subtitle }),
    );
  } catch (error) {
    io.stderr.write(`ferry autoscaler simulate: cannot write ${outPath}: ${(error as Error).message}\n`);
    return 1;
  }
  io.stdout.write(
    [`${basename(tracePath)}: ${subtitle}`, ...summaryLines(summary, outPath)].join('\n').concat('\n'),
  );
  return 0;
}
