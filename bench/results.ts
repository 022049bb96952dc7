import type { SimulationSummary } from '@ferry/autoscaler/simulate/summarize';
import { GIB, MIB } from './source-files.ts';

/**
 * The shape of bench/results/latest.json, and the arithmetic every table and target shares, so that
 * stdout, BENCHMARKS.md and the JSON cannot disagree.
 */

export interface SourceUsage {
  requests: number;
  /** Body bytes the source sent: what the origin paid for. */
  bytes: number;
}

/** How a worker made sure of each part (S3_CHECKSUM_MODE), as its log said, and why that mode. */
export interface ChecksumModeChoice {
  /** 'trailer', 'header' or 'etag'. */
  mode: string;
  reason: string;
}

/** One transfer of one file by one tool into one sink. */
export interface TransferRun {
  tool: 'ferry' | 'rclone';
  sink: string;
  bytes: number;
  ok: boolean;
  error?: string;
  wallS: number;
  userS: number;
  sysS: number;
  cpuS: number;
  peakRssBytes: number;
  /** Ferry only: the worker's RSS when idle, just before the job was submitted. */
  idleRssBytes?: number;
  /** CPU the sink's processes spent during the transfer: where the time goes when the sink is slow. */
  sinkCpuS: number | null;
  source: SourceUsage;
  /** Ferry only; null when the worker did not say (it says so once, on its first import). */
  checksumMode?: ChecksumModeChoice | null;
  /** How the stored object was checked against the source file. */
  verified: string;
}

export interface TransferScenario {
  sink: string;
  fileBytes: number;
  /** Each a fresh worker's first import. */
  ferry: TransferRun[];
  /** The same workers' second import of the same file: a running worker's cost (absent in older results). */
  ferryRunning?: TransferRun[];
  /**
   * Scenario 1 only: running-worker imports (each a fresh worker's second) with tracing on, exporting
   * to a local OTLP receiver, interleaved with the untraced runs; what the receiver got beside them.
   */
  ferryTraced?: TransferRun[];
  tracesExported?: { requests: number; bytes: number };
  /** null: rclone not installed or --no-rclone. */
  rclone: TransferRun[] | null;
  /** Why neither tool ran: the sink did not start (a Ceph cluster needs Ceph installed). */
  error?: string;
}

export interface MemoryScenario {
  small: TransferRun | null;
  big: TransferRun | null;
  error?: string;
}

export interface ResumeScenario {
  fileBytes: number;
  /** Worker environment added for this scenario only (a short job lock, when the worker has one). */
  workerEnv: Record<string, string>;
  killedAt: { sourceBytes: number; recordBytesDone: number; afterS: number } | null;
  /** From the SIGKILL until the source saw the next worker's first request: stall detection. */
  resumedAfterS: number | null;
  totalWallS: number | null;
  source: SourceUsage | null;
  refetchedBytes: number | null;
  /** Ranges the source served more than once. */
  repeatedRanges: string[];
  ok: boolean;
  verified: string;
  error?: string;
}

/** One batch of Dropbox imports submitted at once to a fleet of workers sharing one account's limit. */
export interface ProviderLimitsRun {
  /** What the emulator allowed the account, and what the workers were configured to send. */
  providerLimitPerS: number;
  workerLimitPerS: number;
  imports: number;
  fileBytes: number;
  /** From submitting the imports until the last one's record was final. */
  wallS: number;
  /** Requests the emulator counted against the account, 429s included. */
  requests: number;
  rateLimited: number;
  /** From the first of those requests' arrival to the last's. */
  busySpanS: number;
  pauses: number;
  /** Requests that arrived inside a pause more than `pauseGraceMs` after it began. */
  duringPauses: number;
  failed: number;
  /** Imports by the attempts their record shows, e.g. { "1": 200 }. */
  attempts: Record<string, number>;
  /** CPU of all the worker processes from submission to the last import's end. */
  workerCpuS: number;
  emulatorCpuS: number;
  /** Imports whose result and stored object have the file's size and content_hash. */
  verified: number;
  /** The first few imports that failed or did not match, for the report. */
  problems: string[];
  error?: string;
}

export interface ProviderLimitsScenario {
  workers: number;
  workerConcurrency: number;
  pauseGraceMs: number;
  /** The emulator's limit equals the workers'. */
  atLimit: ProviderLimitsRun | null;
  /** The emulator allows less than the workers think: a provider that lowered its limit. */
  lowered: ProviderLimitsRun | null;
  error?: string;
}

/** One load trace replayed through the autoscaling policy. */
export interface AutoscalingTrace extends SimulationSummary {
  /** The trace's file name without .csv. */
  name: string;
  imports: number;
  /** Policy and fleet model, as the chart's subtitle gives them. */
  settings: string;
  /** Between consecutive direction changes; null with fewer than two. */
  smallestGapS: number | null;
  /** The chart's path, relative to the repository root when it is under it. */
  chart: string | null;
  error?: string;
}

export interface AutoscalingScenario {
  traces: AutoscalingTrace[];
  error?: string;
}

export interface Machine {
  date: string;
  cpuModel: string;
  cores: number;
  ramBytes: number;
  kernel: string;
  node: string;
  rclone: string | null;
  loadAverageStart: number[];
  loadAverageEnd: number[];
}

export interface BenchResults {
  command: string;
  quick: boolean;
  /** File sizes of this run; the targets are defined for DEFAULT_SIZES. */
  sizes: { transfer: number; big: number; resume: number };
  machine: Machine;
  workerEnv: Record<string, string>;
  sourceDir: string;
  nullSink?: TransferScenario;
  fauxqs?: TransferScenario;
  radosgw?: TransferScenario;
  memory?: MemoryScenario;
  resume?: ResumeScenario;
  providerLimits?: ProviderLimitsScenario;
  autoscaling?: AutoscalingScenario;
}

export const mbPerS = (run: TransferRun): number => run.bytes / 1e6 / run.wallS;
export const cpuPerGiB = (run: TransferRun): number => run.cpuS / (run.bytes / GIB);
export const rssMiB = (run: TransferRun): number => run.peakRssBytes / MIB;

/**
 * Several runs of one tool as one row: the median of each figure on its own, so one run slowed by a
 * neighbour moves no column. Failed runs are left out and counted in `verified`.
 */
export function medianRun(runs: TransferRun[] | null | undefined): TransferRun | null {
  const ok = (runs ?? []).filter((run) => run.ok);
  const first = ok[0];
  if (!first) return null;
  if (ok.length === 1 && runs?.length === 1) return first;
  const of = (pick: (run: TransferRun) => number) => median(ok.map(pick));
  const failed = (runs?.length ?? 0) - ok.length;
  return {
    ...first,
    wallS: of((run) => run.wallS),
    userS: of((run) => run.userS),
    sysS: of((run) => run.sysS),
    cpuS: of((run) => run.cpuS),
    peakRssBytes: of((run) => run.peakRssBytes),
    ...(first.idleRssBytes === undefined ? {} : { idleRssBytes: of((run) => run.idleRssBytes ?? 0) }),
    sinkCpuS: first.sinkCpuS === null ? null : of((run) => run.sinkCpuS ?? 0),
    verified: `${first.verified}${failed > 0 ? ` (${failed} of ${runs?.length} runs failed)` : ''}`,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export interface TargetCheck {
  target: string;
  measured: string;
  /** null: not measured in this run. */
  pass: boolean | null;
}

export const DEFAULT_SIZES = { transfer: GIB, big: 5 * GIB, resume: 512 * MIB };

const TARGET_CPU_RATIO = 0.8;
const TARGET_RSS_MIB = 150;
const TARGET_RSS_GROWTH = 1.1;
const TARGET_MB_PER_S = 400;
const TARGET_REFETCH_MIB = 64;

/** Ferry's CPU-s/GiB against rclone's in the same scenario of the same run: at most `limit` ×. */
function cpuRatioCheck(
  target: string,
  scenario: TransferScenario | undefined,
  limit: number,
  { showMode = false, runningWorker = false } = {},
): TargetCheck {
  const first = medianRun(scenario?.ferry);
  const running = medianRun(scenario?.ferryRunning);
  const ferry = runningWorker ? running : first;
  const rclone = medianRun(scenario?.rclone);
  if (!ferry || !rclone) return { target, measured: 'not measured', pass: null };
  const ratio = cpuPerGiB(ferry) / cpuPerGiB(rclone);
  const mode = showMode ? `; Ferry in ${modeLabel(ferry)}` : '';
  // The target is judged on a running worker; a new process's first import is shown beside it.
  const firstImport =
    runningWorker && first
      ? `; a new worker's first import: ${(cpuPerGiB(first) / cpuPerGiB(rclone)).toFixed(2)} ×, ${cpuPerGiB(first).toFixed(2)}`
      : '';
  return {
    target,
    measured: `${ratio.toFixed(2)} × (${cpuPerGiB(ferry).toFixed(2)} vs ${cpuPerGiB(rclone).toFixed(2)} CPU-s/GiB${mode}${firstImport})`,
    pass: ratio <= limit,
  };
}

const modeLabel = (run: TransferRun) =>
  run.checksumMode ? `${run.checksumMode.mode} mode` : 'a checksum mode it did not log';

export function checkTargets(results: BenchResults): TargetCheck[] {
  const ferry = medianRun(results.nullSink?.ferry);
  const { small, big } = results.memory ?? { small: null, big: null };
  const resume = results.resume;
  const bigOk = big?.ok ? big : null;
  const smallOk = small?.ok ? small : null;
  return [
    cpuRatioCheck(
      `Ferry CPU/GiB ≤ ${TARGET_CPU_RATIO} × rclone's (null sink)`,
      results.nullSink,
      TARGET_CPU_RATIO,
    ),
    {
      target: `Peak RSS for the big file ≤ ${TARGET_RSS_MIB} MiB`,
      measured: bigOk ? `${rssMiB(bigOk).toFixed(0)} MiB (${sizeLabel(bigOk.bytes)})` : 'not measured',
      pass: bigOk ? rssMiB(bigOk) <= TARGET_RSS_MIB : null,
    },
    {
      target: `Peak RSS for the big file within ${Math.round((TARGET_RSS_GROWTH - 1) * 100)}% of the small one's`,
      measured:
        bigOk && smallOk
          ? `${rssMiB(bigOk).toFixed(0)} vs ${rssMiB(smallOk).toFixed(0)} MiB (${signedPercent(bigOk.peakRssBytes / smallOk.peakRssBytes - 1)})`
          : 'not measured',
      pass: bigOk && smallOk ? bigOk.peakRssBytes <= smallOk.peakRssBytes * TARGET_RSS_GROWTH : null,
    },
    {
      target: `Throughput into the null sink ≥ ${TARGET_MB_PER_S} MB/s (one job)`,
      measured: ferry ? `${mbPerS(ferry).toFixed(0)} MB/s` : 'not measured',
      pass: ferry ? mbPerS(ferry) >= TARGET_MB_PER_S : null,
    },
    {
      target: `Re-fetched after SIGKILL at 50% ≤ ${TARGET_REFETCH_MIB} MiB`,
      measured:
        resume?.refetchedBytes != null
          ? `${(resume.refetchedBytes / MIB).toFixed(1)} MiB${resume.ok ? '' : ' (object check failed)'}`
          : 'not measured',
      pass:
        resume?.refetchedBytes != null
          ? resume.ok && resume.refetchedBytes <= TARGET_REFETCH_MIB * MIB
          : null,
    },
  ];
}

const TARGET_RGW_CPU_RATIO = 0.5;
const TARGET_NULL_SINK_CPU_RATIO = 0.35;
const TARGET_NULL_SINK_MB_PER_S = 450;

/** Issue 9: what a part costs the worker, into a production S3 server and into the null sink. */
/**
 * Issue 9's targets are per-GiB costs of a fleet's workers, which run import after import: they are
 * judged on each worker's second import (`ferryRunning`). The first import's figures stay beside them.
 */
export function checkSinkTargets(results: BenchResults): TargetCheck[] {
  const running = medianRun(results.nullSink?.ferryRunning);
  const first = medianRun(results.nullSink?.ferry);
  // The throughput target is for the mode auto picks; a mode forced by --worker-env is another setting.
  const setMode = results.workerEnv.S3_CHECKSUM_MODE;
  const defaultMode = setMode === undefined || setMode === 'auto';
  return [
    cpuRatioCheck(
      `Into Ceph RGW, Ferry CPU-s/GiB ≤ ${TARGET_RGW_CPU_RATIO} × rclone's (same run, running worker)`,
      results.radosgw,
      TARGET_RGW_CPU_RATIO,
      { showMode: true, runningWorker: true },
    ),
    cpuRatioCheck(
      `Into the null sink, Ferry CPU-s/GiB ≤ ${TARGET_NULL_SINK_CPU_RATIO} × rclone's (running worker)`,
      results.nullSink,
      TARGET_NULL_SINK_CPU_RATIO,
      { showMode: true, runningWorker: true },
    ),
    {
      target: `Into the null sink ≥ ${TARGET_NULL_SINK_MB_PER_S} MB/s (one job, running worker, default S3_CHECKSUM_MODE=auto)`,
      measured: running
        ? `${mbPerS(running).toFixed(0)} MB/s (${modeLabel(running)}${defaultMode ? '' : `; S3_CHECKSUM_MODE=${setMode} was set`}${first ? `; a new worker's first import: ${mbPerS(first).toFixed(0)} MB/s` : ''})`
        : 'not measured',
      pass: running && defaultMode ? mbPerS(running) >= TARGET_NULL_SINK_MB_PER_S : null,
    },
  ];
}

export function sizeLabel(bytes: number): string {
  if (bytes >= GIB && bytes % GIB === 0) return `${bytes / GIB} GiB`;
  return `${(bytes / MIB).toFixed(bytes % MIB === 0 ? 0 : 1)} MiB`;
}

function signedPercent(fraction: number): string {
  return `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)}%`;
}

const TARGET_429_SHARE = 0.05;
/** Issue 5: under steady load, at most one change of direction per 5 minutes. */
export const TARGET_DIRECTION_GAP_S = 300;

export const rateLimitedShare = (run: ProviderLimitsRun): number =>
  run.requests > 0 ? run.rateLimited / run.requests : 0;

/** Requests the provider admitted per second while the fleet was sending: what the limit allowed. */
export const admittedPerS = (run: ProviderLimitsRun): number =>
  run.busySpanS > 0 ? (run.requests - run.rateLimited) / run.busySpanS : 0;

export const allFirstAttempt = (run: ProviderLimitsRun): boolean =>
  Object.keys(run.attempts).every((attempts) => attempts === '1');

export function attemptsLabel(run: ProviderLimitsRun): string {
  return Object.entries(run.attempts)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([attempts, imports]) => `${imports} × ${attempts}`)
    .join(', ');
}

export function checkProviderTargets(scenario: ProviderLimitsScenario | undefined): TargetCheck[] {
  const run = scenario?.atLimit ?? null;
  const lowered = scenario?.lowered ?? null;
  const grace = scenario?.pauseGraceMs ?? 0;
  const at = run ? ` (provider ${run.providerLimitPerS}/s, workers ${run.workerLimitPerS}/s)` : '';
  const low = lowered
    ? `Provider at ${lowered.providerLimitPerS}/s, workers at ${lowered.workerLimitPerS}/s: `
    : "Provider below the workers' limit: ";
  const measured = (r: ProviderLimitsRun | null, text: (r: ProviderLimitsRun) => string) =>
    r && !r.error ? text(r) : r?.error ? `failed: ${r.error.slice(0, 120)}` : 'not measured';
  const pass = (r: ProviderLimitsRun | null, ok: (r: ProviderLimitsRun) => boolean) =>
    r ? !r.error && ok(r) : null;
  return [
    {
      target: `Requests answered 429 ≤ ${TARGET_429_SHARE * 100}%${at}`,
      measured: measured(
        run,
        (r) => `${(rateLimitedShare(r) * 100).toFixed(1)}% (${r.rateLimited} of ${r.requests})`,
      ),
      pass: pass(run, (r) => rateLimitedShare(r) <= TARGET_429_SHARE),
    },
    {
      target: `Requests inside a pause, beyond ${grace} ms = 0${at}`,
      measured: measured(run, (r) => `${r.duringPauses} (${r.pauses} pauses)`),
      pass: pass(run, (r) => r.duringPauses === 0),
    },
    {
      target: `Failed imports = 0${at}`,
      measured: measured(run, (r) => `${r.failed} of ${r.imports}`),
      pass: pass(run, (r) => r.failed === 0),
    },
    {
      target: "Every object: size and result.sourceChecksum = the provider's content_hash",
      measured: measured(run, (r) => `${r.verified} of ${r.imports}`),
      pass: pass(run, (r) => r.verified === r.imports),
    },
    {
      target: `${low}requests inside a pause, beyond ${grace} ms = 0`,
      measured: measured(lowered, (r) => `${r.duringPauses} (${r.pauses} pauses, ${r.rateLimited} × 429)`),
      pass: pass(lowered, (r) => r.duringPauses === 0),
    },
    {
      target: `${low}failed imports = 0, every object verified`,
      measured: measured(lowered, (r) => `${r.failed} failed, ${r.verified} of ${r.imports} verified`),
      pass: pass(lowered, (r) => r.failed === 0 && r.verified === r.imports),
    },
    {
      target: `${low}every import done on attempt 1 (waiting burns none)`,
      measured: measured(lowered, (r) => `attempts: ${attemptsLabel(r) || 'none'}`),
      pass: pass(lowered, (r) => r.imports > 0 && allFirstAttempt(r)),
    },
  ];
}
