import { z } from 'zod';

/**
 * What an import does when its destination key already holds an object: `always` writes over it;
 * `never` leaves it (a conditional write where the endpoint has them, else a HEAD before starting
 * and before completing); `if-different` leaves it when its size and a checksum both sides state
 * match. A left object is an outcome (`completed` with `result.skipped`), not an error.
 */
export const OVERWRITE_POLICIES = ['always', 'never', 'if-different'] as const;
export const OverwritePolicy = z.enum(OVERWRITE_POLICIES);
export type OverwritePolicy = z.infer<typeof OverwritePolicy>;
