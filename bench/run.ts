import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chaosTables, writeChaosSection } from './chaos/chaos-report.ts';
import type { BenchContext } from './context.ts';
import { describeMachine, finishMachine } from './machine.ts';
import { type BenchOptions, parseOptions, type ScenarioId, USAGE } from './options.ts';
import { startOtlpSink } from './otlp-sink.ts';
import { type Sink, SourceServer, startFauxqsSink, startNullSink } from './parties.ts';
import { cleanup, installCleanupHandlers, onCleanup } from './processes.ts';
import { startRadosgwSink } from './radosgw-sink.ts';
import { RCLONE_MISSING, rcloneVersion } from './rclone.ts';
import { buildTables, printTables, writeBenchmarksMd, writeJson } from './report.ts';
import { type BenchResults, cpuPerGiB, medianRun, sizeLabel } from './results.ts';
import { runAutoscalingScenario } from './scenarios/autoscaling.ts';
import { runChaosScenario } from './scenarios/chaos.ts';
import { runMemoryScenario } from './scenarios/memory.ts';
import { runProviderLimitsScenario } from './scenarios/provider-limits.ts';
import { runResumeScenario } from './scenarios/resume.ts';
import { runSubmitScenario } from './scenarios/submit.ts';
import { runTransferScenario, runTransferScenarioInto } from './scenarios/transfer.ts';
import { ensureSourceFile, GIB, removeSourceFile } from './source-files.ts';
import { submitTables, writeSubmitSection } from './submit/submit-report.ts';
import { ensureRedis, REPO_ROOT } from './workspace.ts';

/**
 * `pnpm bench`: the benchmarks of issues 3, 4, 5 and 9. Starts Redis (if none answers), the HTTP
 * source, the sinks (a Ceph cluster among them) and the Dropbox emulator as processes of their own,
 * runs each scenario with fresh worker processes, then prints the tables and rewrites BENCHMARKS.md,
 * bench/results/latest.json and the autoscaler charts beside it. The chaos run (issue 12) and the
 * submit run (issue 13) go only when named, and each rewrites a section of BENCHMARKS.md of its own.
 */
const log = (line: string) => console.error(line);

/** Generated sources up to this size stay in $TMPDIR/ferry-bench for the next run. */
const MAX_CACHED_SIZE = GIB;

async function main(options: BenchOptions): Promise<void> {
  installCleanupHandlers();
  const rclone = rcloneVersion();
  if (!rclone && options.rclone) log(`${RCLONE_MISSING}; the rclone columns stay empty`);
  const results: BenchResults = {
    command: ['pnpm bench', ...process.argv.slice(2)].join(' '),
    quick: options.quick,
    sizes: { transfer: options.size, big: options.big, resume: options.resumeSize },
    machine: describeMachine(rclone),
    workerEnv: options.workerEnv,
    sourceDir: join(tmpdir(), 'ferry-bench'),
  };
  mkdirSync(results.sourceDir, { recursive: true });

  // The Redis at REDIS_URL (the default's when unset), or one started for the run.
  const { REDIS_URL = 'redis://127.0.0.1:6379' } = process.env;
  const redis = await ensureRedis(REDIS_URL, { log });
  onCleanup(() => redis.close());
  const source = await SourceServer.start(results.sourceDir);
  const ctx: BenchContext = {
    redisUrl: redis.url,
    source,
    tmpDir: results.sourceDir,
    workerEnv: options.workerEnv,
    runId: `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`,
    rclone: options.rclone && rclone !== null,
    log,
  };
  const run = (id: ScenarioId) => options.scenarios.has(id);
  const file =
    run('1') || run('2') || run('2b') || run('3')
      ? await ensureSourceFile(results.sourceDir, options.size, log)
      : null;

  let nullSink: Sink | null = null;
  if (run('1') || run('3') || run('5') || run('6')) nullSink = await startNullSink();

  if (run('1') && nullSink && file) {
    log(`1. ${file.name} → null sink`);
    const tracing = await startOtlpSink();
    try {
      results.nullSink = await runTransferScenario(ctx, nullSink, file, options.repeat, tracing);
    } finally {
      await tracing.close();
    }
  }
  if (run('2') && file) {
    log(`2. ${file.name} → fauxqs`);
    const fauxqs = await startFauxqsSink(results.sourceDir);
    try {
      results.fauxqs = await runTransferScenario(ctx, fauxqs, file, options.repeat);
    } finally {
      await fauxqs.stop();
    }
  }
  if (run('2b') && file) {
    log(`2b. ${file.name} → Ceph RGW`);
    const start = () => startRadosgwSink(results.sourceDir, (line) => log(`  ${line}`));
    results.radosgw = await runTransferScenarioInto(ctx, 'Ceph RGW', start, file, options.repeat);
  }
  if (run('3') && nullSink && file) {
    const big = await ensureSourceFile(results.sourceDir, options.big, log);
    // Files up to 1 GiB are cheap to keep for the next run; a 5 GiB one is not.
    const removeBig = !options.keepSources && big.size > MAX_CACHED_SIZE;
    if (removeBig) onCleanup(() => removeSourceFile(big));
    log(`3. peak RSS: ${big.name} vs ${file.name}`);
    results.memory = await runMemoryScenario(ctx, nullSink, file, big, medianRun(results.nullSink?.ferry));
    if (removeBig) await removeSourceFile(big);
  }
  if (run('5') && nullSink) {
    const resumeFile = await ensureSourceFile(results.sourceDir, options.resumeSize, log);
    log(`5. resume: SIGKILL at 50% of ${resumeFile.name}`);
    results.resume = await runResumeScenario(ctx, nullSink, resumeFile);
  }
  if (run('6') && nullSink) {
    const { dropboxFiles: files, dropboxSize: fileBytes } = options;
    log(
      `6. ${files} Dropbox imports of ${sizeLabel(fileBytes)} at once, 3 workers, one account's rate limit`,
    );
    results.providerLimits = await runProviderLimitsScenario(ctx, nullSink, { files, fileBytes });
  }
  if (run('7')) {
    // The charts are committed beside latest.json; a run that writes nothing leaves them alone.
    const chartDir = options.write ? join(REPO_ROOT, 'bench/results') : results.sourceDir;
    log(`7. autoscaler policy replay; charts into ${chartDir}`);
    results.autoscaling = await runAutoscalingScenario(ctx, chartDir);
  }

  if (run('chaos')) {
    log(
      `chaos. ${options.chaosImports} imports of ${sizeLabel(options.chaosSize)} at once, ECS fleet, kills, a Redis restart`,
    );
    const chaos = await runChaosScenario(ctx, {
      imports: options.chaosImports,
      fileBytes: options.chaosSize,
      command: results.command,
      scenario1CpuPerGiB: await scenario1CpuPerGiB(results),
    });
    printTables(chaosTables(chaos));
    if (options.write) {
      await writeFile(join(REPO_ROOT, 'bench/results/chaos.json'), `${JSON.stringify(chaos, null, 2)}\n`);
      await writeChaosSection(join(REPO_ROOT, 'BENCHMARKS.md'), chaos);
      log('wrote the chaos run into BENCHMARKS.md and bench/results/chaos.json');
    }
  }
  if (run('submit')) {
    log(`submit. a ferry api process: single submits, ${options.submitImports} imports in batches of 1,000`);
    const submit = await runSubmitScenario({
      singles: options.submitSingles,
      batched: options.submitImports,
      command: results.command,
      log,
    });
    printTables(submitTables(submit));
    if (options.write) {
      await writeJson(
        join(REPO_ROOT, 'bench/results/submit.json'),
        submit,
        join(REPO_ROOT, 'node_modules/.bin/biome'),
      );
      await writeSubmitSection(join(REPO_ROOT, 'BENCHMARKS.md'), submit);
      log('wrote the submit run into BENCHMARKS.md and bench/results/submit.json');
    }
  }
  // The chaos and submit runs alone keep the other scenarios' figures: each rewrites only its own section.
  if ([...options.scenarios].every((id) => id === 'chaos' || id === 'submit')) return;

  finishMachine(results.machine);
  const tables = buildTables(results);
  printTables(tables);
  if (options.write) {
    await writeJson(
      join(REPO_ROOT, 'bench/results/latest.json'),
      results,
      join(REPO_ROOT, 'node_modules/.bin/biome'),
    );
    await writeBenchmarksMd(join(REPO_ROOT, 'BENCHMARKS.md'), results, tables);
    log('wrote BENCHMARKS.md and bench/results/latest.json');
  }
  log(`generated sources are kept in ${results.sourceDir} for the next run`);
}

/** Scenario 1's running-worker CPU-s/GiB: this run's, else the last full run's (bench/results/latest.json). */
async function scenario1CpuPerGiB(results: BenchResults): Promise<number | null> {
  const run = medianRun(results.nullSink?.ferryRunning);
  if (run) return cpuPerGiB(run);
  try {
    const latest = JSON.parse(
      await readFile(join(REPO_ROOT, 'bench/results/latest.json'), 'utf8'),
    ) as BenchResults;
    const saved = medianRun(latest.nullSink?.ferryRunning);
    return saved ? cpuPerGiB(saved) : null;
  } catch {
    return null;
  }
}

let options: BenchOptions | 'help';
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (options === 'help') {
  console.log(USAGE);
  process.exit(0);
}
try {
  await main(options);
} catch (error) {
  console.error(`benchmark failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
