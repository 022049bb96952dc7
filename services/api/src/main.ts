import { createLogger, isFerryError, stopOnSignal } from '@ferry/shared';
import { startApi } from './start-api.ts';

/** The API process: `node services/api/src/main.ts`, configured by the environment. */
const log = createLogger('api');

/** In-flight requests get this long to finish; ECS stops waiting at 30 s by default. */
const EXIT_DEADLINE_MS = 25_000;

try {
  const api = await startApi(process.env);
  stopOnSignal(api, log, EXIT_DEADLINE_MS);
} catch (error) {
  // A configuration error's message names the variables and never their values.
  log.fatal(
    isFerryError(error) ? { code: error.code, message: error.message } : { message: String(error) },
    'could not start the API',
  );
  process.exit(1);
}
