import type { Signals } from '../policy/types.ts';
import type { SignalReading, SignalSource } from './signal-source.ts';

export interface ReadSignalsOptions {
  now: number;
  workerConcurrency: number;
  /** Worker count when no source reports one (dry run without a fleet to observe). */
  fallbackWorkers: () => Promise<number>;
}

/** Error from a source that could not be read, naming it. */
export class SignalReadError extends Error {
  readonly code = 'SIGNALS_UNAVAILABLE';
  readonly source: string;

  constructor(source: string, cause: unknown) {
    super(`cannot read the ${source} signals: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'SignalReadError';
    this.source = source;
  }
}

/** Reads every source at once and combines their readings into one snapshot. */
export async function readSignals(sources: SignalSource[], options: ReadSignalsOptions): Promise<Signals> {
  const readings = await Promise.all(
    sources.map((source) =>
      source.read(options.now).catch((error: unknown) => {
        throw new SignalReadError(source.name, error);
      }),
    ),
  );
  const merged: SignalReading = {};
  const queues: Signals['queues'] = [];
  for (const reading of readings) {
    queues.push(...(reading.queues ?? []));
    Object.assign(merged, withoutUndefined(reading));
  }
  const currentWorkers = merged.currentWorkers ?? (await options.fallbackWorkers());
  return {
    ...merged,
    at: options.now,
    queues,
    workerConcurrency: options.workerConcurrency,
    currentWorkers,
    pendingWorkers: merged.pendingWorkers ?? 0,
  };
}

function withoutUndefined(reading: SignalReading): SignalReading {
  return Object.fromEntries(Object.entries(reading).filter(([, value]) => value !== undefined));
}
