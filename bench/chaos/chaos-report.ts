import { writeBenchmarksSection } from '../benchmarks-section.ts';
import { markdownTable, type Table } from '../report.ts';
import { sizeLabel } from '../results.ts';
import { type ChaosResults, chaosChecks, GIB, refetchedPerKill, workerCpuPerGiB } from './chaos-results.ts';

const START = '<!-- chaos run: written by `pnpm bench --only chaos` -->';
const END = '<!-- end of chaos run -->';
const MIB = 2 ** 20;

export function chaosTables(results: ChaosResults): Table[] {
  const checks: Table = {
    title: `Fleet chaos run (issue 12): ${results.imports} imports of ${sizeLabel(results.fileBytes)} at once`,
    headers: ['Check', 'Measured', 'Must be', 'Result'],
    rows: results.error
      ? [['the run', 'did not finish', '—', `FAIL: ${results.error.slice(0, 240)}`]]
      : chaosChecks(results).map((c) => [c.check, c.measured, c.mustBe, c.pass ? 'PASS' : 'FAIL']),
    notes: [
      ...(results.failures.length > 0 ? [`Not identical: ${results.failures.join('; ')}`] : []),
      ...((results.openUploadKeys ?? []).length > 0
        ? [`Open uploads: ${results.openUploadKeys?.join(', ')}`]
        : []),
    ],
  };
  const cpuPerGiB = workerCpuPerGiB(results);
  const kills = results.kills.sigkill + results.kills.spot;
  const figures: Table = {
    title: 'Fleet chaos run: what it cost',
    headers: ['Figure', 'Value'],
    rows: [
      ['wall time (submit to the last import final)', `${results.wallS.toFixed(1)} s`],
      ['moved', `${((results.imports * results.fileBytes) / GIB).toFixed(1)} GiB`],
      ['workers killed (SIGKILL, busy)', String(results.kills.sigkill)],
      ['workers reclaimed Spot-style (SIGTERM, busy)', String(results.kills.spot)],
      [
        'Redis restarts (SIGKILL, AOF fsync always)',
        `${results.redisRestarts} (down ${results.redisDownMs} ms)`,
      ],
      ['bytes sent by the sources', `${(results.sourceBytesSent / GIB).toFixed(2)} GiB`],
      [
        're-fetched per kill (incl. the Redis restart)',
        `${(refetchedPerKill(results) / MIB).toFixed(1)} MiB (${(results.refetchedBytes / MIB).toFixed(0)} MiB in all, ${kills + results.redisRestarts} kills)`,
      ],
      [
        'provider requests (Dropbox, Drive)',
        `${results.provider.dropbox.requests}, ${results.provider.gdrive.requests}`,
      ],
      ...(['dropbox', 'gdrive'] as const)
        .filter((provider) => (results.provider[provider].throttledAtS ?? []).length > 0)
        .map((provider) => [
          `${provider === 'dropbox' ? 'Dropbox' : 'Drive'} 429s at (s after the submit)`,
          `${results.provider[provider].throttledAtS?.join(', ')}${results.redisRestartAtS === undefined ? '' : ` (Redis restarted at ${results.redisRestartAtS.toFixed(1)})`}`,
        ]),
      ...(['dropbox', 'gdrive'] as const)
        .filter((provider) => (results.provider[provider].throttles ?? []).length > 0)
        .map((provider) => [
          `${provider === 'dropbox' ? 'Dropbox' : 'Drive'} 429s: their window's spread, the sources' stall before`,
          (results.provider[provider].throttles ?? [])
            .map((t) => `${t.windowSpanMs} ms, ${t.sourcesStallMs} ms`)
            .join('; '),
        ]),
      ...(results.sourcesStalls
        ? [
            [
              `sources process event-loop stalls past 50 ms (count, longest; nice ${results.sourcesPriority ?? 0})`,
              `${results.sourcesStalls.count}, ${results.sourcesStalls.maxMs} ms`,
            ],
          ]
        : []),
      [
        'workers: peak desired by the autoscaler, tasks started in all',
        `${results.peakDesiredWorkers}, ${results.tasksStarted}`,
      ],
      [
        'worker CPU-s/GiB (every worker process, start to exit)',
        `${cpuPerGiB.toFixed(2)}${results.scenario1CpuPerGiB ? ` (${(cpuPerGiB / results.scenario1CpuPerGiB).toFixed(2)} × scenario 1's running worker, ${results.scenario1CpuPerGiB.toFixed(2)})` : ''}`,
      ],
    ],
    notes: [
      `${results.mix.http} plain HTTP, ${results.mix.dropbox} Dropbox and ${results.mix.gdrive} Google Drive sources (the emulators), ` +
        `every byte generated on the fly (AES-CTR keystream per file: nothing on disk); one Dropbox and one Drive account, ` +
        `Ferry's fleet-wide limit ${results.settings.providerLimitPerS} requests/s per account against the emulators' ${results.settings.emulatorLimitPerS}. ` +
        `The workers are tasks of the ECS stand-in's service (real \`ferry worker\` processes, task protection on while they hold imports), ` +
        `sized by the autoscaler in ecs mode from ${results.settings.minWorkers} to ${results.settings.maxWorkers}, ${results.settings.workerConcurrency} imports each. ` +
        `Every ${results.settings.killEveryS[0]}–${results.settings.killEveryS[1]} s the chaos driver picks a busy worker at random ` +
        `(seed ${results.settings.seed}) and SIGKILLs it or stops it as a Spot reclaim does (SIGTERM, SIGKILL 120 s later); ` +
        'once a quarter of the imports are done it SIGKILLs Redis and starts it again on its append-only file. ' +
        `JOB_LOCK_MS=${results.settings.jobLockMs}: a killed worker's imports resume elsewhere that long after.`,
      "Byte-identical: the import's record is completed and the sink's CRC-32 of the object (combined from the part bodies it received, in the order CompleteMultipartUpload listed them) and its size equal the generated source's. " +
        'The sink is the null S3 sink, so the 2 cores go to the fleet and not to storing bytes.',
      'The emulators count a request when their event loop gets to it, where a provider stamps it on arrival: on two cores ' +
        'shared with the workers, a stalled sources process counts requests sent spaced as bunched, and the 429s it then ' +
        `answers say nothing about Ferry. So the sources process runs at nice ${results.sourcesPriority ?? 0} (the workers at 0), and each 429 ` +
        "is reported with how its window's requests were spread and the sources' longest stall in the 1.5 s before it.",
    ],
  };
  return [checks, figures];
}

/** The chaos run's section of BENCHMARKS.md: above the generated part, which `pnpm bench` rewrites. */
export async function writeChaosSection(path: string, results: ChaosResults): Promise<void> {
  const m = results.machine;
  await writeBenchmarksSection(path, START, END, [
    '## Fleet chaos run',
    '',
    `- Date: ${m.date}; command: \`${results.command}\``,
    `- Machine: ${m.cores} cores, ${m.cpuModel}, ${(m.ramBytes / GIB).toFixed(1)} GiB RAM, Node ${m.node}; load average at start ${m.loadAverageStart.map((v) => v.toFixed(2)).join(' ')}, at end ${m.loadAverageEnd.map((v) => v.toFixed(2)).join(' ')}`,
    '',
    ...chaosTables(results).flatMap((table) => [markdownTable(table), '']),
  ]);
}
