import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Import ids are ULIDs with an `imp_` prefix: they sort by creation time, so a tenant's imports
 * can be listed in order from a lexically sorted set, with the last id as the page cursor.
 */
export function newImportId(now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD.charAt(t % 32) + time;
    t = Math.floor(t / 32);
  }
  const random = randomBytes(16);
  let rand = '';
  for (let i = 0; i < 16; i++) rand += CROCKFORD.charAt((random[i] ?? 0) % 32);
  return `imp_${time}${rand}`;
}

/** When an import id was made (ms since the epoch): its first ten characters after `imp_`; NaN if it is no id. */
export function importIdTime(id: string): number {
  let time = 0;
  for (const char of id.slice(4, 14)) {
    const digit = CROCKFORD.indexOf(char);
    if (digit < 0) return Number.NaN;
    time = time * 32 + digit;
  }
  return id.length >= 14 ? time : Number.NaN;
}

export const IMPORT_ID_PATTERN = /^imp_[0-9A-HJKMNP-TV-Z]{26}$/;
