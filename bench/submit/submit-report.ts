import { writeBenchmarksSection } from '../benchmarks-section.ts';
import { markdownTable, type Table } from '../report.ts';
import { GIB, MIB } from '../source-files.ts';
import {
  apiCpuMsPerImport,
  importsPerApiCoreS,
  redisBytesPerImport,
  type SubmitPhase,
  type SubmitScenario,
  submitChecks,
} from './submit-results.ts';

const START = '<!-- submit run: written by `pnpm bench --only submit` -->';
const END = '<!-- end of submit run -->';

const count = (n: number) => Math.round(n).toLocaleString('en-US');

function phaseRow(label: string, phase: SubmitPhase | null): string[] {
  if (!phase) return [label, 'not run', '', '', '', '', '', ''];
  return [
    label,
    `${count(phase.imports)} (${count(phase.requests)} requests, ${phase.connections} connections)`,
    `${apiCpuMsPerImport(phase).toFixed(3)} ms`,
    count(importsPerApiCoreS(phase)),
    `${((phase.redisCpuS * 1000) / phase.imports).toFixed(3)} ms`,
    count(phase.imports / phase.wallS),
    `${phase.apiCpuS.toFixed(2)} s`,
    `${phase.wallS.toFixed(1)} s`,
  ];
}

export function submitTables(scenario: SubmitScenario): Table[] {
  const checks: Table = {
    title: 'Submit cost (issue 13): targets',
    headers: ['Target', 'Measured', 'Result'],
    rows: scenario.error
      ? [['the run', 'did not finish', `FAIL: ${scenario.error.replace(/\s+/g, ' ').slice(0, 240)}`]]
      : submitChecks(scenario).map((c) => [
          c.target,
          c.measured,
          c.pass === null ? '—' : c.pass ? 'PASS' : 'FAIL',
        ]),
    notes: [],
  };
  const phases: Table = {
    title: 'Submit cost: API and Redis CPU per import',
    headers: [
      'Load',
      'Imports',
      'API CPU / import',
      'Imports/s per API core',
      'Redis CPU / import',
      'Imports/s (wall)',
      'API CPU',
      'Wall',
    ],
    rows: [
      phaseRow('single submits', scenario.single),
      phaseRow('single submits, Idempotency-Key each', scenario.idempotent),
      phaseRow('batches of 1,000', scenario.batch),
    ],
    notes: [
      'A `ferry api` process with its defaults (LOG_LEVEL info, metrics on, tracing off) on a redis-server of ' +
        "the run's own (no persistence, no workers), loaded by a client in a third process (undici, kept-alive " +
        'connections, one request at a time on each). CPU is user + system from /proc/<pid>/stat over each load, ' +
        "the client's start-up included (the API is idle meanwhile); imports/s per API core = imports / API CPU-s. " +
        'Each import is an http source with an IP literal (no DNS lookup) and no secrets to seal; the warm-up ' +
        '(single submits and 10 batches) is not counted.',
    ],
  };
  const memory = scenario.memory;
  const redis: Table = {
    title: 'Submit cost: Redis memory per queued import',
    headers: ['Figure', 'Value'],
    rows: memory
      ? [
          ['used_memory delta per import of the batch phase', `${count(redisBytesPerImport(memory))} bytes`],
          ['imports the batch phase added', count(memory.added)],
          ['imports queued in all after it', count(memory.queuedAfter)],
          [
            'used_memory before, after',
            `${(memory.usedMemoryBefore / MIB).toFixed(1)} MiB, ${(memory.usedMemoryAfter / MIB).toFixed(1)} MiB`,
          ],
          ...memory.sample.map((key) => [
            `MEMORY USAGE of one import's \`${key.key.replace(/imp_\w+/, '<id>')}\` (${key.encoding})`,
            `${count(key.bytes)} bytes`,
          ]),
        ]
      : [['not measured', '']],
    notes: [
      'used_memory also counts what the imports add to shared structures, which MEMORY USAGE of their own keys ' +
        "does not: each tenant's sorted sets (all imports, and those queued) and its unfed list (lazy queueing) hold " +
        "every queued import's id. Only the feed window (QUEUE_FEED_WINDOW, 1,000 by default) has BullMQ jobs, " +
        'filled before the batch phase starts, so the batch phase adds no job, no priority-set entry and no event.',
    ],
  };
  return [checks, phases, redis];
}

/** The submit run's section of BENCHMARKS.md: above the generated part, which `pnpm bench` rewrites. */
export async function writeSubmitSection(path: string, scenario: SubmitScenario): Promise<void> {
  const m = scenario.machine;
  await writeBenchmarksSection(path, START, END, [
    '## Submit cost',
    '',
    `- Date: ${m.date}; command: \`${scenario.command}\``,
    `- Machine: ${m.cores} cores, ${m.cpuModel}, ${(m.ramBytes / GIB).toFixed(1)} GiB RAM, Node ${m.node}; load average at start ${m.loadAverageStart.map((v) => v.toFixed(2)).join(' ')}, at end ${m.loadAverageEnd.map((v) => v.toFixed(2)).join(' ')}`,
    '',
    ...submitTables(scenario).flatMap((table) => [markdownTable(table), '']),
  ]);
}
