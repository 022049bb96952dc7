import type { Machine } from '../results.ts';

/** What the fleet chaos run measured; bench/results/chaos.json holds the latest. */
export interface ChaosResults {
  command: string;
  machine: Machine;
  imports: number;
  fileBytes: number;
  mix: { http: number; dropbox: number; gdrive: number };
  settings: {
    workerConcurrency: number;
    minWorkers: number;
    maxWorkers: number;
    /** The fleet-wide limit Ferry keeps to, per provider account, and the emulators' own. */
    providerLimitPerS: number;
    emulatorLimitPerS: number;
    jobLockMs: number;
    killEveryS: [number, number];
    seed: number;
  };
  wallS: number;
  /** Completed, with the sink's CRC-32 of the object's bytes and its size equal to the source's. */
  identical: number;
  /** The first few imports that were not, and why. */
  failures: string[];
  kills: { sigkill: number; spot: number };
  redisRestarts: number;
  redisDownMs: number;
  sourceBytesSent: number;
  refetchedBytes: number;
  provider: Record<
    'dropbox' | 'gdrive',
    {
      requests: number;
      rateLimited: number;
      duringPauses: number;
      throttledAtS?: number[];
      /**
       * Each 429's window, arrival of its first request to its last (spaced sends fill 1,000 ms; a
       * bunch far less), and the sources process's longest stall in the 1.5 s before it.
       */
      throttles?: Array<{ windowSpanMs: number; sourcesStallMs: number }>;
    }
  >;
  /** The nice value the sources process (the emulators and the HTTP origin) ran at; workers run at 0. */
  sourcesPriority?: number;
  /** The sources process's event-loop stalls past 50 ms: how many, and the longest. */
  sourcesStalls?: { count: number; maxMs: number };
  /** Seconds after the submit that Redis went down. */
  redisRestartAtS?: number;
  scaleInStops: number;
  /** Tasks the ECS scheduler stopped (scale-in) that said they held imports when they began to drain. */
  scaleInBusyStops: number;
  tasksStarted: number;
  peakDesiredWorkers: number;
  openUploads: number;
  /** The first few of them, by key. */
  openUploadKeys?: string[];
  workerCpuS: number;
  /** Scenario 1's running-worker CPU-s/GiB: this run's if it ran, else the latest saved run's. */
  scenario1CpuPerGiB: number | null;
  error?: string;
}

export const GIB = 2 ** 30;

export const refetchedPerKill = (results: ChaosResults): number => {
  const kills = results.kills.sigkill + results.kills.spot + results.redisRestarts;
  return kills > 0 ? results.refetchedBytes / kills : 0;
};

export const workerCpuPerGiB = (results: ChaosResults): number =>
  results.workerCpuS / ((results.imports * results.fileBytes) / GIB);

export interface ChaosCheck {
  check: string;
  measured: string;
  mustBe: string;
  pass: boolean;
}

/** The "must be" figures. */
export function chaosChecks(results: ChaosResults): ChaosCheck[] {
  const rateLimited = results.provider.dropbox.rateLimited + results.provider.gdrive.rateLimited;
  const duringPauses = results.provider.dropbox.duringPauses + results.provider.gdrive.duringPauses;
  return [
    {
      check: 'imports completed byte-identical',
      measured: `${results.identical}/${results.imports}`,
      mustBe: `${results.imports}/${results.imports}`,
      pass: results.identical === results.imports,
    },
    { check: 'provider 429s', measured: String(rateLimited), mustBe: '0', pass: rateLimited === 0 },
    {
      check: 'provider requests inside a pause',
      measured: String(duringPauses),
      mustBe: '0',
      pass: duringPauses === 0,
    },
    {
      check: 'scale-in stops of busy workers',
      measured: `${results.scaleInBusyStops} (of ${results.scaleInStops} scale-in stops)`,
      mustBe: '0',
      pass: results.scaleInBusyStops === 0,
    },
    {
      check: 'orphaned multipart uploads at the end',
      measured: String(results.openUploads),
      mustBe: '0',
      pass: results.openUploads === 0,
    },
  ];
}
