import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeys } from './api-keys.ts';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Resolves a presented API key to its tenant without leaking, through timing, which key (or how
 * much of one) matched: every configured key is compared, and the comparison runs over fixed-size
 * sha256 digests so a length difference cannot end it early.
 */
export class KeyRing {
  readonly #entries: { digest: Buffer; tenant: string }[];

  constructor(keys: ApiKeys) {
    this.#entries = [...keys].map(([key, tenant]) => ({ digest: digest(key), tenant }));
  }

  tenantFor(presented: string): string | null {
    const candidate = digest(presented);
    let tenant: string | null = null;
    for (const entry of this.#entries) {
      // No early exit: the loop costs the same whichever entry matches.
      if (timingSafeEqual(candidate, entry.digest) && tenant === null) tenant = entry.tenant;
    }
    return tenant;
  }
}
