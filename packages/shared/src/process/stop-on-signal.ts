import type { Logger } from '../logger.ts';

/**
 * A service process's shutdown: the first SIGTERM or SIGINT closes `service` (its graceful drain)
 * and exits 0 once that is done, 1 if it fails or has not finished within `deadlineMs` (the
 * orchestrator's own kill comes later, so the log still says why).
 */
export function stopOnSignal(service: { close(): Promise<void> }, logger: Logger, deadlineMs: number): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown did not finish in time');
      process.exit(1);
    }, deadlineMs).unref();
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
