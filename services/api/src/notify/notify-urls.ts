import { z } from 'zod';

/** Tenant -> the notify URL its imports use when they name none. */
export type NotifyDefaults = ReadonlyMap<string, string>;

const TENANT = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Parses `tenant=url,tenant=url`. Problems name the entry by number, never its URL: a callback URL
 * may carry a token in its query.
 */
export function parseNotifyUrls(value: string): { defaults: NotifyDefaults; problems: string[] } {
  const defaults = new Map<string, string>();
  const problems: string[] = [];
  value.split(',').forEach((raw, index) => {
    const entry = raw.trim();
    const n = index + 1;
    if (entry === '') return;
    const separator = entry.indexOf('=');
    const tenant = entry.slice(0, Math.max(0, separator));
    const url = entry.slice(separator + 1);
    if (separator <= 0 || !TENANT.test(tenant)) {
      problems.push(`entry ${n} is not of the form tenant=url`);
    } else if (!URL.canParse(url) || !['http:', 'https:'].includes(new URL(url).protocol)) {
      problems.push(`entry ${n}: the URL must be absolute and use http or https`);
    } else if (defaults.has(tenant)) {
      problems.push(`entry ${n} repeats tenant ${tenant}`);
    } else {
      defaults.set(tenant, url);
    }
  });
  return { defaults, problems };
}

/** The `FERRY_NOTIFY_URLS` variable; unset = no tenant has a default. */
export const NotifyUrlsField = z
  .string()
  .optional()
  .transform((value, ctx): NotifyDefaults => {
    const { defaults, problems } = parseNotifyUrls(value ?? '');
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
    return problems.length > 0 ? z.NEVER : defaults;
  });
