/** The autoscaler service as a process: config, signals, graceful exit. Loaded by main.ts. */
import { createLogger, isFerryError, stopOnSignal } from '@ferry/shared';
import type { Telemetry } from '@ferry/shared/telemetry';
import { parseAutoscalerEnv } from './env.ts';
import { startAutoscaler } from './start-autoscaler.ts';

/** Hard stop should the shutdown hang: local workers get the worker's own drain deadline and a little more. */
const EXIT_DEADLINE_MS = 110_000;

export async function serve(telemetry: Telemetry): Promise<void> {
  let logLevel: string;
  try {
    logLevel = parseAutoscalerEnv().LOG_LEVEL;
  } catch (error) {
    console.error(isFerryError(error) ? error.message : error);
    process.exit(1);
  }

  const logger = createLogger('autoscaler', logLevel);
  const handle = await startAutoscaler(process.env, { logger }).catch((error: unknown) => {
    logger.error({ err: error }, 'autoscaler failed to start');
    process.exit(1);
  });
  const close = async () => {
    await handle.close();
    await telemetry.shutdown();
  };
  stopOnSignal({ close }, logger, EXIT_DEADLINE_MS);
}
