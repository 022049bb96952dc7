/** The API service as a process: signals, graceful exit. Loaded by main.ts once tracing is set up. */
import { createLogger, isFerryError, stopOnSignal } from '@ferry/shared';
import type { Telemetry } from '@ferry/shared/telemetry';
import { startApi } from './start-api.ts';

/** In-flight requests get this long to finish; ECS stops waiting at 30 s by default. */
const EXIT_DEADLINE_MS = 25_000;

export async function serve(telemetry: Telemetry): Promise<void> {
  const log = createLogger('api');
  try {
    const api = await startApi(process.env);
    const close = async () => {
      await api.close();
      await telemetry.shutdown();
    };
    stopOnSignal({ close }, log, EXIT_DEADLINE_MS);
  } catch (error) {
    // A configuration error's message names the variables and never their values.
    log.fatal(
      isFerryError(error) ? { code: error.code, message: error.message } : { message: String(error) },
      'could not start the API',
    );
    process.exit(1);
  }
}
