import { execFileSync } from 'node:child_process';
import { readFile, rename, writeFile } from 'node:fs/promises';
import {
  type AutoscalingScenario,
  admittedPerS,
  attemptsLabel,
  type BenchResults,
  checkProviderTargets,
  checkSinkTargets,
  checkTargets,
  cpuPerGiB,
  DEFAULT_SIZES,
  mbPerS,
  medianRun,
  type ProviderLimitsRun,
  type ProviderLimitsScenario,
  type ResumeScenario,
  rateLimitedShare,
  rssMiB,
  sizeLabel,
  TARGET_DIRECTION_GAP_S,
  type TargetCheck,
  type TransferRun,
  type TransferScenario,
} from './results.ts';
import { GIB, MIB } from './source-files.ts';

/**
 * Turns results into tables once, then prints them for the terminal and writes them into
 * BENCHMARKS.md (below the hand-written introduction, which is kept) and bench/results/latest.json.
 */
export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  notes: string[];
}

export const MARKER =
  '<!-- Everything below is written by `pnpm bench`; edit the text above this line only. -->';

/** rclone's default --s3-upload-cutoff: at or below it, one PutObject instead of a multipart upload. */
const RCLONE_UPLOAD_CUTOFF = 200 * MIB;

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

const TRANSFER_HEADERS = [
  'Tool',
  'MB/s',
  'CPU-s/GiB',
  'CPU-s (user + sys)',
  'Peak RSS MiB',
  'Sink CPU-s',
  'Source requests',
  'Wall',
  'Checksum mode',
  'Object check',
];

/** A row that names the tool and says something in the last column only. */
const remarkRow = (label: string, status: string, remark: string) => [
  label,
  status,
  ...TRANSFER_HEADERS.slice(2, -1).map(() => ''),
  oneLine(remark),
];

/** Error messages carry the tools' multi-line output; a table cell takes one line. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

function transferRow(label: string, runs: TransferRun[] | null): string[] {
  if (!runs) return remarkRow(label, 'not run', 'rclone missing (`apt-get install rclone`) or --no-rclone');
  const run = medianRun(runs);
  if (!run) return remarkRow(label, 'failed', runs.find((r) => !r.ok)?.error?.slice(0, 160) ?? '');
  const idle = run.idleRssBytes ? ` (idle ${fixed(run.idleRssBytes / MIB, 0)})` : '';
  return [
    label,
    fixed(mbPerS(run), 0),
    fixed(cpuPerGiB(run), 2),
    `${fixed(run.cpuS, 2)} (${fixed(run.userS, 2)} + ${fixed(run.sysS, 2)})`,
    `${fixed(rssMiB(run), 0)}${idle}`,
    run.sinkCpuS === null ? '—' : fixed(run.sinkCpuS, 2),
    String(run.source.requests),
    `${fixed(run.wallS, 2)} s`,
    run.tool === 'ferry' ? (run.checksumMode?.mode ?? 'not logged') : '—',
    run.verified,
  ];
}

function transferTable(id: string, scenario: TransferScenario, note: string): Table {
  const rows = scenario.error
    ? [
        remarkRow(
          'Ferry, rclone',
          'not run',
          `${scenario.sink} did not start: ${scenario.error.slice(0, 240)}`,
        ),
      ]
    : [
        transferRow('Ferry, first import', scenario.ferry),
        ...(scenario.ferryRunning ? [transferRow('Ferry, running worker', scenario.ferryRunning)] : []),
        ...(scenario.ferryTraced
          ? [transferRow('Ferry, running worker, tracing on', scenario.ferryTraced)]
          : []),
        transferRow('rclone', scenario.rclone),
      ];
  const rclone = medianRun(scenario.rclone);
  const ratioRow = (label: string, ferry: TransferRun | null) => {
    if (!ferry || !rclone) return;
    const ratio = (a: number, b: number) => `${fixed(a / b, 2)} ×`;
    const row = remarkRow(label, ratio(mbPerS(ferry), mbPerS(rclone)), '');
    row[2] = ratio(cpuPerGiB(ferry), cpuPerGiB(rclone));
    row[4] = ratio(ferry.peakRssBytes, rclone.peakRssBytes);
    rows.push(row);
  };
  const first = medianRun(scenario.ferry);
  const running = medianRun(scenario.ferryRunning);
  ratioRow('first import / rclone', first);
  ratioRow('running worker / rclone', running);
  const notes = [note];
  const traced = medianRun(scenario.ferryTraced);
  if (running && traced) {
    const overhead = cpuPerGiB(traced) / cpuPerGiB(running) - 1;
    const row = remarkRow('tracing on / off', `${fixed(mbPerS(traced) / mbPerS(running), 2)} ×`, '');
    row[2] = `${fixed(cpuPerGiB(traced) / cpuPerGiB(running), 2)} ×`;
    row[4] = `${fixed(traced.peakRssBytes / running.peakRssBytes, 2)} ×`;
    rows.push(row);
    const exported = scenario.tracesExported;
    notes.push(
      `Tracing on: the worker records every import's spans (import, metadata, each part with its source read and upload, complete, verify) and exports them over OTLP/HTTP (protobuf) to a local receiver that drops them${exported ? ` (${exported.requests} export requests, ${fixed(exported.bytes / 1024, 0)} KiB in all)` : ''}; ` +
        `it costs ${fixed(cpuPerGiB(traced) - cpuPerGiB(running), 3)} CPU-s/GiB (${fixed(100 * overhead, 1)} %) on a running worker, same run. Off (no OTEL_EXPORTER_OTLP_ENDPOINT) the SDK is not loaded.`,
    );
  }
  if (first && running) {
    notes.push(
      "Each Ferry run is a fresh worker moving the file twice, one import after the other: the first import also pays the new process's JIT warm-up, the SDK's first-use set-up and the endpoint probe " +
        `(${fixed(first.cpuS - running.cpuS, 2)} CPU-s more here); the second is what a running worker of a fleet pays per file. rclone is a new process per file, as it is used.`,
    );
  }
  if (scenario.rclone && scenario.fileBytes <= RCLONE_UPLOAD_CUTOFF) {
    notes.push(
      "At this size (≤ rclone's 200 MiB upload cutoff) rclone sends one PutObject, not a multipart upload, so the " +
        'two tools do not do the same work (and fauxqs refuses a body that large).',
    );
  }
  if (scenario.ferry.length > 1) {
    notes.push(
      `Each figure is the median of ${scenario.ferry.length} runs per tool, taken column by column (user and ` +
        'system CPU separately, so they need not add up to the total); every run is in latest.json.',
    );
  }
  return {
    title: `${id}. ${sizeLabel(scenario.fileBytes)} ranged HTTP file → ${scenario.sink}: Ferry vs rclone`,
    headers: TRANSFER_HEADERS,
    rows,
    notes,
  };
}

function memoryTable(results: BenchResults): Table | null {
  const memory = results.memory;
  if (!memory) return null;
  const row = (label: string, run: TransferRun | null): string[] =>
    run?.ok
      ? [
          label,
          sizeLabel(run.bytes),
          fixed(rssMiB(run), 0),
          run.idleRssBytes ? fixed(run.idleRssBytes / MIB, 0) : '—',
          fixed(mbPerS(run), 0),
          fixed(cpuPerGiB(run), 2),
        ]
      : [
          label,
          run ? sizeLabel(run.bytes) : '',
          'failed',
          '',
          '',
          oneLine(run?.error?.slice(0, 160) ?? memory.error ?? ''),
        ];
  return {
    title: '3. Peak RSS of one worker: big file vs small file (null sink)',
    headers: ['Run', 'File', 'Peak RSS MiB', 'Idle RSS MiB', 'MB/s', 'CPU-s/GiB'],
    rows: [row('small', memory.small), row('big', memory.big)],
    notes: [
      'Each run is a fresh `ferry worker` process with default settings (WORKER_CONCURRENCY 4, PART_CONCURRENCY 4, ' +
        '8 MiB parts). Peak RSS is its VmHWM, start-up included; idle RSS its VmRSS just before the job was ' +
        'submitted. Flat memory means the big file peaks where the small one does.',
    ],
  };
}

function throughputTable(results: BenchResults): Table | null {
  // One JavaScript thread does nearly all of a job's work, so its CPU cost per GiB caps its speed.
  const row = (label: string, runs: TransferRun[] | undefined): string[] | null => {
    const run = medianRun(runs);
    if (!run) return null;
    return [
      `${sizeLabel(run.bytes)}, ${label}`,
      fixed(mbPerS(run), 0),
      (runs ?? [])
        .filter((r) => r.ok)
        .map((r) => fixed(mbPerS(r), 0))
        .join(', '),
      `~${fixed(GIB / 1e6 / cpuPerGiB(run), 0)} MB/s`,
    ];
  };
  const rows = [
    row('first import', results.nullSink?.ferry),
    row('running worker', results.nullSink?.ferryRunning),
  ].filter((r): r is string[] => r !== null);
  if (rows.length === 0) return null;
  return {
    title: '4. Throughput of one job into the null sink',
    headers: ['File', 'MB/s (median)', 'Each run', 'CPU-bound ceiling'],
    rows,
    notes: [
      "Scenario 1's Ferry runs, from the job's submission to its record reading completed; MB/s are 10^6 bytes per " +
        'second. The ceiling is 1 GiB / (CPU-s per GiB): what one worker process could reach with a core to itself ' +
        '(roughly: a little of its work runs on other threads). On 2 cores shared with the source and the sink, and ' +
        'with whatever else runs on the machine, the measured figure stays well below it.',
    ],
  };
}

function resumeTable(resume: ResumeScenario | undefined): Table | null {
  if (!resume) return null;
  const envNote = Object.entries(resume.workerEnv)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  return {
    title: '5. Resume after SIGKILL at 50% (null sink)',
    headers: [
      'File',
      'Killed at (source bytes)',
      'Record bytesDone then',
      'Kill → next request',
      'Source bytes sent',
      'Re-fetched',
      'Ranges sent twice',
      'Object check',
    ],
    rows: [
      [
        sizeLabel(resume.fileBytes),
        resume.killedAt ? `${fixed(resume.killedAt.sourceBytes / MIB, 1)} MiB` : '—',
        resume.killedAt ? `${fixed(resume.killedAt.recordBytesDone / MIB, 1)} MiB` : '—',
        resume.resumedAfterS === null ? '—' : `${fixed(resume.resumedAfterS, 1)} s`,
        resume.source ? `${fixed(resume.source.bytes / MIB, 1)} MiB` : '—',
        resume.refetchedBytes === null ? '—' : `${fixed(resume.refetchedBytes / MIB, 1)} MiB`,
        String(resume.repeatedRanges.length),
        resume.ok ? resume.verified : oneLine(`FAILED: ${resume.error ?? resume.verified}`.slice(0, 200)),
      ],
    ],
    notes: [
      'Re-fetched = body bytes the source sent − file size: the partial parts the dead worker was reading, plus any part ' +
        "it had uploaded but not yet checkpointed. The kill is timed by the source's byte count (the record is updated once a second).",
      envNote
        ? `Both workers ran with ${envNote}, so the dead worker's job is put back within a few lock periods instead of BullMQ's default 30-60 s.`
        : "The worker has no job-lock setting yet, so the next worker waits for BullMQ's stall detection " +
          '(lock expiry 30 s after the last renewal, then the next stalled-job check): "Kill → next request" is that wait.',
      ...(resume.repeatedRanges.length > 0
        ? [`Ranges sent twice: ${resume.repeatedRanges.join(', ')}.`]
        : []),
    ],
  };
}

const DEFAULT_DROPBOX = { files: 200, fileBytes: 4 * MIB };

function providerTargetsTable(scenario: ProviderLimitsScenario | undefined): Table | null {
  if (!scenario) return null;
  const run = scenario.atLimit;
  const differs =
    run !== null && (run.imports !== DEFAULT_DROPBOX.files || run.fileBytes !== DEFAULT_DROPBOX.fileBytes);
  return targetsTable(
    'Targets (issue 4)',
    checkProviderTargets(scenario),
    differs && run
      ? [
          `This run imported ${run.imports} files of ${sizeLabel(run.fileBytes)}; the targets are defined for ` +
            `${DEFAULT_DROPBOX.files} of ${sizeLabel(DEFAULT_DROPBOX.fileBytes)}.`,
        ]
      : [],
  );
}

function providerRow(label: string, run: ProviderLimitsRun | null, error: string | undefined): string[] {
  if (!run)
    return [label, 'not run', '', '', '', '', '', '', '', '', '', '', oneLine(error?.slice(0, 160) ?? '')];
  const share = rateLimitedShare(run);
  return [
    label,
    `${run.providerLimitPerS} / ${run.workerLimitPerS}`,
    `${run.imports} × ${sizeLabel(run.fileBytes)}`,
    `${fixed(run.wallS, 1)} s`,
    String(run.requests),
    `${fixed(admittedPerS(run), 1)} (${fixed((admittedPerS(run) / run.providerLimitPerS) * 100, 0)}%)`,
    `${fixed(share * 100, 1)}% (${run.rateLimited})`,
    `${run.duringPauses} (${run.pauses} pauses)`,
    String(run.failed),
    attemptsLabel(run),
    fixed(run.workerCpuS / run.imports, 3),
    fixed(run.emulatorCpuS, 1),
    run.verified === run.imports
      ? `${run.verified} of ${run.imports}: size and content_hash = the file's`
      : oneLine(`${run.verified} of ${run.imports}; ${run.problems.join('; ')}`.slice(0, 240)),
  ];
}

function providerLimitsTable(scenario: ProviderLimitsScenario | undefined): Table | null {
  if (!scenario) return null;
  const run = scenario.atLimit;
  return {
    title:
      `6. Fleet rate limit: ${run ? `${run.imports} Dropbox imports` : 'Dropbox imports'} at once, ` +
      `${scenario.workers} workers × ${scenario.workerConcurrency} jobs, one account (null sink)`,
    headers: [
      'Run',
      'Limit req/s (provider / workers)',
      'Imports',
      'Wall',
      'Requests',
      'Admitted req/s (of limit)',
      '429s',
      `Inside a pause > ${scenario.pauseGraceMs} ms`,
      'Failed',
      'Attempts (imports × attempts)',
      'Worker CPU-s / import',
      'Emulator CPU-s',
      'Object check',
    ],
    rows: [
      providerRow('at the limit', run, scenario.error),
      providerRow('provider lowered', scenario.lowered, run ? scenario.error : undefined),
    ],
    notes: [
      'The Dropbox emulator of @ferry/test-support runs as its own process, enforces the limit per account in a ' +
        'sliding 1-second window (429 with Retry-After: 1, and every request during that pause is refused too) and ' +
        'logs every request; all figures but wall time and CPU come from its log. Three fresh `ferry worker` processes ' +
        '(WORKER_CONCURRENCY 8, DROPBOX_RATE_LIMIT_PER_S 20, default DROPBOX_MAX_DOWNLOADS 8) share the limit through ' +
        'Redis; every import of a run uses one access token of one account, submitted all at once.',
      'Requests: get_metadata and download calls counted against the account, 429s included (each import needs a ' +
        'get_metadata, a download per 8 MiB part and a get_metadata before completing). Admitted req/s: those not ' +
        'answered 429, over the span from the first to the last request. Inside a pause: requests that arrived while ' +
        `the account was told to wait, more than ${scenario.pauseGraceMs} ms after the 429 (requests already on their ` +
        'way are not counted).',
      scenario.lowered
        ? `The lowered run: the emulator allows ${scenario.lowered.providerLimitPerS} requests/s while the workers ` +
          `are configured for ${scenario.lowered.workerLimitPerS}, as when a provider lowers its limit; a fresh ` +
          'token, so a fresh limiter key. Attempts are from the import records: waiting for a provider must not use one up.'
        : 'No lowered run: the scenario stopped before it (see the row above).',
      'Every object is checked: the result must carry the file size and `dropbox-content-hash:<content_hash>` of the ' +
        "emulator's file (the worker checks it against the bytes it read) and the null sink must hold that size. " +
        `Worker CPU-s: all ${scenario.workers} workers from submission to the last import, per import.`,
    ],
  };
}

/** "5:15", "2:23:00". */
function clock(seconds: number): string {
  const s = Math.round(seconds);
  const mm = String(Math.floor((s % 3600) / 60));
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm.padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

function autoscalingTable(scenario: AutoscalingScenario | undefined): Table | null {
  if (!scenario) return null;
  const rows = scenario.traces.map((trace) => {
    const changes = trace.directionChangesAtS;
    const gapOk = trace.smallestGapS === null || trace.smallestGapS >= TARGET_DIRECTION_GAP_S;
    return [
      trace.name,
      String(trace.imports),
      `${trace.peakBacklog} at ${clock(trace.peakBacklogAtS)}`,
      `${trace.peakWorkers} at ${clock(trace.peakWorkersAtS)}`,
      trace.timeToDrainS === null ? 'never' : clock(trace.timeToDrainS),
      fixed(trace.workerSeconds / 3600, 1),
      changes.length === 0
        ? '0'
        : `${changes.length} (at ${changes.slice(0, 4).map(clock).join(', ')}${changes.length > 4 ? ', …' : ''})`,
      `${trace.smallestGapS === null ? `— (${changes.length} change${changes.length === 1 ? '' : 's'})` : clock(trace.smallestGapS)} ${gapOk ? 'PASS' : 'FAIL'}`,
      trace.chart ? `[${trace.chart.split('/').at(-1)}](${trace.chart})` : '—',
    ];
  });
  if (scenario.error)
    rows.push(['failed', '', '', '', '', '', '', '', oneLine(scenario.error.slice(0, 160))]);
  const settings = scenario.traces[0]?.settings;
  const charts = scenario.traces.filter((trace) => trace.chart && !trace.chart.startsWith('/'));
  return {
    title: '7. Autoscaler policy replay: default policy, min 1, max 40 (simulated fleet)',
    headers: [
      'Trace',
      'Imports',
      'Peak backlog (jobs)',
      'Peak workers',
      'Time to drain',
      'Worker-hours',
      'Direction changes',
      `Smallest gap between changes (issue 5: ≥ ${clock(TARGET_DIRECTION_GAP_S)})`,
      'Chart',
    ],
    rows,
    notes: [
      "Each trace in services/autoscaler/traces is replayed through the autoscaler's own `decide` with the simulated " +
        `fleet of \`ferry autoscaler simulate\`${settings ? ` (${settings})` : ''}: times are simulated, so the ` +
        'figures do not depend on the machine. Peak workers counts running and starting ones; worker-hours include ' +
        'starting and draining workers (what the fleet costs); time to drain runs from the first arrival until the ' +
        'backlog is empty after the last.',
      'A direction change is the desired count turning from growing to shrinking or back. Issue 5 allows at most one ' +
        'per 5 minutes under steady load: the smallest gap between consecutive changes must be at least that ' +
        '(with fewer than two changes there is no gap).',
      ...charts.map((trace) => `![${trace.name}](${trace.chart})`),
    ],
  };
}

function targetsTable(title: string, checks: TargetCheck[], notes: string[]): Table {
  return {
    title,
    headers: ['Target', 'Measured', 'Result'],
    rows: checks.map((check) => [
      check.target,
      check.measured,
      check.pass === null ? '—' : check.pass ? 'PASS' : 'FAIL',
    ]),
    notes,
  };
}

const sizesDiffer = (results: BenchResults) =>
  results.sizes.transfer !== DEFAULT_SIZES.transfer ||
  results.sizes.big !== DEFAULT_SIZES.big ||
  results.sizes.resume !== DEFAULT_SIZES.resume;

export function buildTables(results: BenchResults): Table[] {
  const tables: Array<Table | null> = [
    targetsTable(
      'Targets (issue 3)',
      checkTargets(results),
      sizesDiffer(results)
        ? [
            `This run used ${sizeLabel(results.sizes.transfer)}, ${sizeLabel(results.sizes.big)} and ` +
              `${sizeLabel(results.sizes.resume)} files; the targets are defined for ${sizeLabel(DEFAULT_SIZES.transfer)}, ` +
              `${sizeLabel(DEFAULT_SIZES.big)} and ${sizeLabel(DEFAULT_SIZES.resume)}.`,
          ]
        : [],
    ),
    targetsTable(
      'Targets (issue 9)',
      checkSinkTargets(results),
      results.sizes.transfer !== DEFAULT_SIZES.transfer
        ? [
            `This run moved ${sizeLabel(results.sizes.transfer)}; the targets are defined for ` +
              `${sizeLabel(DEFAULT_SIZES.transfer)}.`,
          ]
        : [],
    ),
    results.nullSink
      ? transferTable(
          '1',
          results.nullSink,
          "The null sink checks every part (CRC-32 or MD5) and throws the bytes away, so these are the tools' own costs.",
        )
      : null,
    results.fauxqs
      ? transferTable(
          '2',
          results.fauxqs,
          'fauxqs is single-threaded and CPU-bound (see Sink CPU-s): MB/s here measure the emulator, not the tools. ' +
            "rclone's requests pass a small proxy that fixes its CompleteMultipartUpload for fauxqs (bench/etag-fixup-proxy.ts, own process, not counted).",
        )
      : null,
    results.radosgw
      ? transferTable(
          '2b',
          results.radosgw,
          'Ceph RGW is a real S3 server of several processes: a one-node cluster (ceph-mon, one BlueStore OSD, ' +
            'radosgw) started for the run in the source cache and removed after it; Sink CPU-s is the sum over the ' +
            "three daemons. Its throughput is bounded by that one OSD, on a sparse file on this machine's disk, so " +
            'MB/s measure the cluster as much as the tools: compare CPU-s/GiB. Both tools sign with its S3 keys and ' +
            'talk to radosgw directly (no fix-up proxy); Ferry writes in the checksum mode its `auto` picks there ' +
            '(signed: aws-chunked parts with a SigV4 signature per 256 KiB chunk, which RGW verifies; RGW 16 decodes ' +
            'no checksum trailer). Objects are read back and checksummed.',
        )
      : null,
    memoryTable(results),
    throughputTable(results),
    resumeTable(results.resume),
    providerTargetsTable(results.providerLimits),
    providerLimitsTable(results.providerLimits),
    autoscalingTable(results.autoscaling),
  ];
  return tables.filter((table): table is Table => table !== null);
}

function textTable(table: Table): string {
  const widths = table.headers.map((header, i) =>
    Math.max(header.length, ...table.rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    table.title,
    line(table.headers),
    line(widths.map((width) => '-'.repeat(width))),
    ...table.rows.map(line),
  ].join('\n');
}

export function markdownTable(table: Table): string {
  const cellText = (cell: string) => cell.replaceAll('|', '\\|');
  return [
    `### ${table.title}`,
    '',
    `| ${table.headers.join(' | ')} |`,
    `|${table.headers.map(() => '---').join('|')}|`,
    ...table.rows.map((row) => `| ${row.map(cellText).join(' | ')} |`),
    ...table.notes.flatMap((note) => ['', note]),
  ].join('\n');
}

export function printTables(tables: Table[]): void {
  console.log(`\n${tables.map(textTable).join('\n\n')}\n`);
}

function machineLines(results: BenchResults): string[] {
  const m = results.machine;
  const load = (values: number[]) => values.map((v) => v.toFixed(2)).join(' ');
  return [
    `- Date: ${m.date}`,
    `- Command: \`${results.command}\``,
    `- Machine: ${m.cores} cores, ${m.cpuModel}, ${(m.ramBytes / GIB).toFixed(1)} GiB RAM, Linux ${m.kernel}`,
    `- Node ${m.node}; ${m.rclone ?? 'rclone not installed'}`,
    `- Load average at start ${load(m.loadAverageStart)}, at end ${load(m.loadAverageEnd)} (1, 5, 15 min): ` +
      'other work on the machine slows wall-clock numbers; CPU-seconds are far less affected.',
    ...(Object.keys(results.workerEnv).length > 0
      ? [
          `- Worker environment added: ${Object.entries(results.workerEnv)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`,
        ]
      : []),
  ];
}

const MEANINGS = `### What the numbers mean

- **MB/s**: file size (10^6 bytes) / wall time. Ferry's wall time runs from submitting the job to its
  record reading \`completed\` (HEAD, planning, every part, CompleteMultipartUpload and the size check);
  rclone's is the whole \`rclone copyurl\` process, start-up included.
- **CPU-s/GiB**: user + system CPU of the transferring process per GiB moved: for Ferry the worker's
  /proc/<pid>/stat from just before submission to completion (its start-up is not counted: workers are
  long-lived); for rclone GNU time's figures for the whole process. Only the tool is counted: the source,
  the sink, Redis and the benchmark itself run in their own processes.
- **Peak RSS**: the process's high-water resident set (VmHWM for Ferry, GNU time's %M for rclone). Each
  Ferry run is a fresh worker process, so the peak is that run's (for the running-worker row, over both
  of its imports).
- **Sink CPU-s**: what the sink's processes spent meanwhile (for Ceph RGW radosgw + ceph-osd +
  ceph-mon); with fauxqs this is the bottleneck.
- **Source requests**: rclone reads the file with one GET; Ferry with one ranged GET per part (8 MiB by
  default) after a HEAD.
- **Checksum mode**: how the Ferry worker made sure of each part (\`S3_CHECKSUM_MODE\`), from the
  \`S3 checksum mode\` line it logs: with the default \`auto\` it probes the endpoint once, on its first
  import (about ten small requests, counted in the first import's figures), and picks \`trailer\` where
  the server verifies an aws-chunked CRC-32 trailer (the null sink, like AWS S3), else \`signed\` where it
  verifies per-chunk SigV4 signatures (Ceph RGW), else \`etag\` where part ETags are MD5s (fauxqs), else
  \`header\`.
- **First import, running worker**: each Ferry run is a fresh worker that moves the file twice, one
  import after the other. The first import also pays the new process's warm-up (the JIT compiling the hot
  paths, the SDK's first-use set-up, the probe); the second is what a worker of a fleet, which runs import
  after import, pays per file. Issue 9's targets are judged on the second, issue 3's on the first.
- **Object check**: for Ferry the import's result must carry the source file's size and CRC-32 (combined
  from the per-part CRC-32s) and the sink must report that size and the object's CRC-32: fauxqs and Ceph
  RGW objects are read back and checksummed; the null sink combines the CRC-32s of the part bodies it
  received, in the order CompleteMultipartUpload listed them.
- Both tools check integrity: Ferry every part in its checksum mode (\`trailer\`: a CRC-32 trailer the
  sink verifies; \`signed\`: a SHA-256 signature per chunk the sink verifies; \`etag\`: the part's MD5,
  computed while it streams, compared with the ETag the sink answers) and the whole object; rclone an
  MD5 per part (Content-MD5).`;

export function renderMarkdown(intro: string, results: BenchResults, tables: Table[]): string {
  return [
    intro.trimEnd(),
    '',
    MARKER,
    '',
    `## Latest run${results.quick ? ' (quick)' : ''}`,
    '',
    ...machineLines(results),
    '',
    tables.map(markdownTable).join('\n\n'),
    '',
    MEANINGS,
    '',
  ].join('\n');
}

const DEFAULT_INTRO = `# Benchmarks

\`pnpm bench\` (or \`./ferryw bench\`) measures the transfer engine against issue 3's targets and against
rclone on the same source, sink and machine, and rewrites this file below the marker.`;

/** Keeps whatever is above the marker; a file without one is taken as all introduction. */
export async function writeBenchmarksMd(path: string, results: BenchResults, tables: Table[]): Promise<void> {
  let intro = DEFAULT_INTRO;
  try {
    const existing = await readFile(path, 'utf8');
    const at = existing.indexOf(MARKER);
    intro = at >= 0 ? existing.slice(0, at) : existing;
  } catch {
    // First run: the default introduction.
  }
  await writeFile(path, renderMarkdown(intro, results, tables));
}

/**
 * Written through a .tmp file (gitignored) so an interrupted run never leaves half a JSON, then put in
 * Biome's format (it folds short arrays that JSON.stringify spreads out) so `biome ci .` stays green.
 */
export async function writeJson(path: string, results: unknown, biome: string): Promise<void> {
  await writeFile(`${path}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
  try {
    execFileSync(biome, ['format', '--write', path], { stdio: 'ignore' });
  } catch {
    // Without Biome the file is still valid JSON; only the lint would complain.
  }
}
