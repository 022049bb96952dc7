import { parseArgs } from 'node:util';
import { MIB } from './source-files.ts';

export const USAGE = `Usage: pnpm bench [options]      (or ./ferryw bench [options])

  --quick               256 MiB transfers, 1 GiB for the memory run, 256 MiB for resume,
                        50 Dropbox files of 1 MiB
  --size SIZE           file for scenarios 1, 2, 2b and 4 (default 1024 MiB), and each import of the
                        chaos run (default 256 MiB); MiB, or with a unit: 512MiB, 5GiB
  --big MiB             big file of scenario 3 (default 5120; above 1 GiB made for the run, deleted after)
  --resume-size MiB     file of scenario 5 (default 512)
  --dropbox-files N     Dropbox imports of scenario 6 (default 200, quick 50)
  --dropbox-size MiB    size of each of those files (default 4, quick 1)
  --only LIST           scenarios to run, e.g. 1,2b (default 1,2,2b,3,5,6,7; 4 is read from 1;
                        2b starts a one-node Ceph cluster, installing Ceph first when run as root;
                        chaos, the fleet chaos run, and submit, the API's cost per submit, only
                        when named: each writes a section of its own)
  --chaos-imports N     imports of the chaos run, all submitted at once (default 200)
  --submit-imports N    imports the submit run queues in batches, its Redis memory figure's count
                        (default 100000, quick 20000); it also sends 20000 single submits (quick 5000)
  --repeat N            transfers per tool in scenarios 1, 2 and 2b; the median counts (default 3, quick 1)
  --no-rclone           skip the rclone columns
  --worker-env K=V      extra environment for every worker (repeatable), e.g. PART_CONCURRENCY=8
  --keep-sources        keep the big file too, whatever its size
  --no-write            print only; leave BENCHMARKS.md and bench/results/ alone (charts go to the
                        source cache instead)

Generated source files are cached in $TMPDIR/ferry-bench (default /tmp/ferry-bench).`;

/** Strings: 2b, scenario 2's transfer into Ceph RGW, came after 3 to 7 had their numbers. */
const SCENARIO_IDS = ['1', '2', '2b', '3', '4', '5', '6', '7', 'chaos', 'submit'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

function scenarioId(text: string): ScenarioId {
  const id = SCENARIO_IDS.find((known) => known === text);
  if (!id) throw new Error(`--only takes scenarios among ${SCENARIO_IDS.join(', ')}, not "${text}"`);
  return id;
}

export interface BenchOptions {
  quick: boolean;
  size: number;
  big: number;
  resumeSize: number;
  dropboxFiles: number;
  dropboxSize: number;
  chaosImports: number;
  chaosSize: number;
  submitImports: number;
  submitSingles: number;
  scenarios: Set<ScenarioId>;
  repeat: number;
  rclone: boolean;
  workerEnv: Record<string, string>;
  keepSources: boolean;
  write: boolean;
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      size: { type: 'string' },
      big: { type: 'string' },
      'resume-size': { type: 'string' },
      'dropbox-files': { type: 'string' },
      'dropbox-size': { type: 'string' },
      'chaos-imports': { type: 'string' },
      'submit-imports': { type: 'string' },
      only: { type: 'string', default: '1,2,2b,3,5,6,7' },
      repeat: { type: 'string' },
      'no-rclone': { type: 'boolean', default: false },
      'worker-env': { type: 'string', multiple: true, default: [] },
      'keep-sources': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const quick = values.quick;
  const scenarios = new Set(values.only.split(',').map((id) => scenarioId(id.trim())));
  const workerEnv: Record<string, string> = {};
  for (const pair of values['worker-env']) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--worker-env expects NAME=value, got "${pair}"`);
    workerEnv[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return {
    quick,
    size: sizeInMiB('--size', values.size ?? (quick ? '256' : '1024'), 5, 102_400) * MIB,
    big: wholeNumber('--big', values.big ?? (quick ? '1024' : '5120'), 5, 102_400) * MIB,
    resumeSize:
      wholeNumber('--resume-size', values['resume-size'] ?? (quick ? '256' : '512'), 16, 102_400) * MIB,
    dropboxFiles: wholeNumber('--dropbox-files', values['dropbox-files'] ?? (quick ? '50' : '200'), 1, 5000),
    dropboxSize: wholeNumber('--dropbox-size', values['dropbox-size'] ?? (quick ? '1' : '4'), 1, 1024) * MIB,
    chaosImports: wholeNumber('--chaos-imports', values['chaos-imports'] ?? '200', 1, 10_000),
    chaosSize: sizeInMiB('--size', values.size ?? '256', 5, 102_400) * MIB,
    submitImports: wholeNumber(
      '--submit-imports',
      values['submit-imports'] ?? (quick ? '20000' : '100000'),
      1000,
      10_000_000,
    ),
    submitSingles: quick ? 5000 : 20_000,
    scenarios,
    repeat: wholeNumber('--repeat', values.repeat ?? (quick ? '1' : '3'), 1, 20),
    rclone: !values['no-rclone'],
    workerEnv,
    keepSources: values['keep-sources'],
    write: !values['no-write'],
  };
}

/** `512`, `512MiB` or `5GiB`, in MiB. */
function sizeInMiB(flag: string, text: string, min: number, max: number): number {
  const match = /^(\d+)\s*(MiB|GiB)?$/i.exec(text.trim());
  if (!match)
    throw new Error(`${flag} takes MiB (a whole number) or a size like 512MiB or 5GiB, not "${text}"`);
  const mib = Number(match[1]) * (match[2]?.toLowerCase() === 'gib' ? 1024 : 1);
  return wholeNumber(flag, String(mib), min, max);
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${flag} must be a whole number from ${min} to ${max}`);
  return n;
}
