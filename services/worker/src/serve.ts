/** The worker service as a process: config, signals, graceful exit. Loaded by main.ts. */
import { createLogger, isFerryError, stopOnSignal } from '@ferry/shared';
import type { Telemetry } from '@ferry/shared/telemetry';
import { parseWorkerEnv, type WorkerConfig } from './env.ts';
import { startWorker } from './start-worker.ts';

/** Hard stop should the drain itself hang: ECS sends SIGKILL 120 s after SIGTERM at the latest. */
const EXIT_DEADLINE_MS = 100_000;

export function serve(telemetry: Telemetry): void {
  let config: WorkerConfig;
  try {
    config = parseWorkerEnv();
  } catch (error) {
    console.error(isFerryError(error) ? error.message : error);
    process.exit(1);
  }

  const logger = createLogger('worker', config.LOG_LEVEL);
  const handle = startWorker(config, { logger });
  const close = async () => {
    await handle.close();
    await telemetry.shutdown();
  };
  stopOnSignal({ close }, logger, EXIT_DEADLINE_MS);
}
