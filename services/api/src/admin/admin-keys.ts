import { z } from 'zod';
import { KEY_PATTERN } from '../auth/api-keys.ts';

/** An operator key opens every tenant's jobs: short ones are too easy to guess. */
const MIN_KEY_LENGTH = 16;

/**
 * Parses `key,key`. Like FERRY_API_KEYS, problems name the entry by number only: the text around a
 * mistake is a key.
 */
export function parseAdminKeys(value: string): { keys: string[]; problems: string[] } {
  const keys: string[] = [];
  const problems: string[] = [];
  value.split(',').forEach((raw, index) => {
    const key = raw.trim();
    const n = index + 1;
    // Stray commas (a trailing one, a doubled one) are harmless: skip them.
    if (key === '') return;
    if (!KEY_PATTERN.test(key)) {
      problems.push(`entry ${n}: the key may hold only visible ASCII characters other than ","`);
    } else if (key.length < MIN_KEY_LENGTH) {
      problems.push(`entry ${n}: the key must be at least ${MIN_KEY_LENGTH} characters long`);
    } else if (!keys.includes(key)) {
      keys.push(key);
    }
  });
  return { keys, problems };
}

/**
 * The `FERRY_ADMIN_KEYS` variable: the operator keys of the /admin pages. Unset (or empty) means
 * the pages are not mounted at all.
 */
export const AdminKeysField = z
  .string()
  .optional()
  .transform((value, ctx): readonly string[] | undefined => {
    if (value === undefined) return undefined;
    const { keys, problems } = parseAdminKeys(value);
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
    if (problems.length > 0) return z.NEVER;
    return keys.length > 0 ? keys : undefined;
  });
