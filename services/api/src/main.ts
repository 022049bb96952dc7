import { createLogger, isFerryError } from '@ferry/shared';
import { startApi } from './start-api.ts';

/** The API process: `node services/api/src/main.ts`, configured by the environment. */
const log = createLogger('api');

try {
  const api = await startApi(process.env);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    api.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ message: error instanceof Error ? error.message : String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (error) {
  // A configuration error's message names the variables and never their values.
  log.fatal(
    isFerryError(error) ? { code: error.code, message: error.message } : { message: String(error) },
    'could not start the API',
  );
  process.exit(1);
}
