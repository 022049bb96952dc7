import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: packages/cli/src/ is three levels down. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI_ENTRY = join(REPO_ROOT, 'packages/cli/src/main.ts');

/** Where the local stack keeps S3 data, logs and the connection file (`FERRY_DATA_DIR`). */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.FERRY_DATA_DIR ?? join(REPO_ROOT, '.ferry'));
}

/** Written by `ferry up` so `ferry import` in another terminal finds the local API without setup. */
export function connectionFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDir(env), 'local.env');
}
