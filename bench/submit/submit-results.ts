import type { Machine } from '../results.ts';

/** The shape of bench/results/submit.json, and the arithmetic its tables and targets share. */

/** One load of submits against the running API, and what the API and Redis processes spent on it. */
export interface SubmitPhase {
  mode: 'single' | 'batch';
  idempotencyKeys: boolean;
  /** Imports per request: 1 for single submits. */
  batchSize: number;
  requests: number;
  imports: number;
  refused: number;
  firstRefusal: string | null;
  connections: number;
  wallS: number;
  /** User + system CPU of the `ferry api` process over the load (/proc/<pid>/stat). */
  apiCpuS: number;
  redisCpuS: number;
}

/** Redis's used_memory before and after the batch phase queued its imports (no workers running). */
export interface SubmitMemory {
  /** Imports queued in all once the batch phase was done (earlier phases' included). */
  queuedAfter: number;
  /** Imports the batch phase added: the delta is divided by this. */
  added: number;
  usedMemoryBefore: number;
  usedMemoryAfter: number;
  /** MEMORY USAGE of one queued import's keys, with their encoding: where the bytes go. */
  sample: Array<{ key: string; bytes: number; encoding: string }>;
}

export interface SubmitScenario {
  command: string;
  machine: Machine;
  single: SubmitPhase | null;
  idempotent: SubmitPhase | null;
  batch: SubmitPhase | null;
  memory: SubmitMemory | null;
  error?: string;
}

export const TARGET_SINGLE_CPU_MS = 0.3;
export const TARGET_BATCH_IMPORTS_PER_CORE_S = 20_000;
export const TARGET_REDIS_BYTES_PER_IMPORT = 1000;
/** The figure: measured at this many queued imports. */
export const TARGET_QUEUED = 100_000;

/** API CPU milliseconds per import of a phase. */
export const apiCpuMsPerImport = (phase: SubmitPhase) => (phase.apiCpuS * 1000) / phase.imports;
/** Imports one API core would take per second at this phase's CPU cost. */
export const importsPerApiCoreS = (phase: SubmitPhase) => phase.imports / phase.apiCpuS;
export const redisBytesPerImport = (memory: SubmitMemory) =>
  (memory.usedMemoryAfter - memory.usedMemoryBefore) / memory.added;

export interface SubmitCheck {
  target: string;
  measured: string;
  pass: boolean | null;
}

export function submitChecks(scenario: SubmitScenario): SubmitCheck[] {
  const { single, batch, memory } = scenario;
  return [
    {
      target: `single submit: ≤ ${TARGET_SINGLE_CPU_MS} ms API CPU`,
      measured: single ? `${apiCpuMsPerImport(single).toFixed(3)} ms` : 'not measured',
      pass: single ? apiCpuMsPerImport(single) <= TARGET_SINGLE_CPU_MS : null,
    },
    {
      target: `batches of 1,000: ≥ ${TARGET_BATCH_IMPORTS_PER_CORE_S.toLocaleString('en-US')} imports/s per API core`,
      measured: batch
        ? `${Math.round(importsPerApiCoreS(batch)).toLocaleString('en-US')} imports/s`
        : 'not measured',
      pass: batch ? importsPerApiCoreS(batch) >= TARGET_BATCH_IMPORTS_PER_CORE_S : null,
    },
    {
      target: `Redis: ≤ ${TARGET_REDIS_BYTES_PER_IMPORT.toLocaleString('en-US')} bytes per queued import at ${TARGET_QUEUED.toLocaleString('en-US')} queued`,
      measured: memory
        ? `${Math.round(redisBytesPerImport(memory)).toLocaleString('en-US')} bytes (${memory.queuedAfter.toLocaleString('en-US')} queued)`
        : 'not measured',
      pass: memory
        ? redisBytesPerImport(memory) <= TARGET_REDIS_BYTES_PER_IMPORT && memory.queuedAfter >= TARGET_QUEUED
        : null,
    },
  ];
}
