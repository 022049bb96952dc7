import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The local stack's sealing key, made once and kept in the data directory. A key made per start
 * would leave the imports an earlier `ferry up` queued in a persistent Redis unreadable
 * (`SECRET_UNREADABLE`); the S3 data beside it survives restarts, so the key does too.
 */
export function devSecretKey(root: string): string {
  const file = join(root, 'secret-key');
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept) return kept;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32).toString('base64');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
