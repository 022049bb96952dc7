import { z } from 'zod';

/** Tenant names become part of Redis keys, so they are held to a small, unambiguous alphabet. */
const TENANT = /^[A-Za-z0-9._-]{1,64}$/;
/** Visible ASCII without `,`: anything a client can put after `Bearer ` without quoting. */
export const KEY_PATTERN = /^[\x21-\x2b\x2d-\x7e]+$/;

/** API key -> tenant. */
export type ApiKeys = ReadonlyMap<string, string>;

/**
 * Parses `key:tenant,key:tenant`. Problems are reported by entry number only: the text around a
 * mistake is a key, and start-up errors end up in logs.
 */
export function parseApiKeys(value: string): { keys: ApiKeys; problems: string[] } {
  const keys = new Map<string, string>();
  const problems: string[] = [];
  const firstEntryOfKey = new Map<string, number>();
  const entries = value.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    const n = index + 1;
    // Stray commas (a trailing one, a doubled one) are harmless: skip them.
    if (entry === '') return;
    // The tenant alphabet has no ':', so the last ':' separates even a key that contains one.
    const separator = entry.lastIndexOf(':');
    if (separator <= 0 || separator === entry.length - 1) {
      problems.push(`entry ${n} is not of the form key:tenant`);
      return;
    }
    const key = entry.slice(0, separator);
    const tenant = entry.slice(separator + 1);
    if (!KEY_PATTERN.test(key)) {
      problems.push(`entry ${n}: the key may hold only visible ASCII characters other than ","`);
      return;
    }
    if (!TENANT.test(tenant)) {
      problems.push(`entry ${n}: the tenant must be 1 to 64 letters, digits, ".", "_" or "-"`);
      return;
    }
    const earlier = firstEntryOfKey.get(key);
    if (earlier !== undefined) {
      problems.push(`entry ${n} repeats the key of entry ${earlier}`);
      return;
    }
    firstEntryOfKey.set(key, n);
    keys.set(key, tenant);
  });
  if (problems.length === 0 && keys.size === 0) problems.push('at least one key:tenant pair is required');
  return { keys, problems };
}

/** The `FERRY_API_KEYS` variable: required, parsed into a key -> tenant map. */
export const ApiKeysField = z
  .string({ error: 'required: a comma-separated list of key:tenant pairs' })
  .transform((value, ctx): ApiKeys => {
    const { keys, problems } = parseApiKeys(value);
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
    return problems.length > 0 ? z.NEVER : keys;
  });
