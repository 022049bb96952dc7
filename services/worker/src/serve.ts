/** The worker service as a process: config, signals, graceful exit. Loaded by main.ts. */
import { createLogger, isFerryError } from '@ferry/shared';
import { parseWorkerEnv, type WorkerConfig } from './env.ts';
import { startWorker } from './start-worker.ts';

/** Hard stop should the drain itself hang: ECS sends SIGKILL 120 s after SIGTERM at the latest. */
const EXIT_DEADLINE_MS = 100_000;

let config: WorkerConfig;
try {
  config = parseWorkerEnv();
} catch (error) {
  console.error(isFerryError(error) ? error.message : error);
  process.exit(1);
}

const logger = createLogger('worker', config.LOG_LEVEL);
const handle = startWorker(config, { logger });

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping');
  setTimeout(() => process.exit(1), EXIT_DEADLINE_MS).unref();
  handle.close().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'drain failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
