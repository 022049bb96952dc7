import { ErrorCode, FerryError, type Fingerprint, type JobStatus } from '@ferry/shared';
import type { JobsContext } from './jobs-context.ts';

/** A job create made safe to retry, as a submit is: its Idempotency-Key and what makes two requests one. */
export interface JobIdempotency {
  key: string;
  /**
   * The request's fingerprint. `manifestSha256` is the digest of an uploaded or inline manifest's
   * bytes (null for one in S3), known only once it has streamed in.
   */
  fingerprint(manifestSha256: string | null): Fingerprint;
}

export interface AcceptedJob {
  id: string;
  status: JobStatus;
  /** False: an earlier request with this key and the same request created it. */
  created: boolean;
}

/**
 * Claims the key for `candidateId`: null when this request is the first and goes on to create the
 * job; the job the key names when an earlier request with the same fingerprint made it. The same
 * key with another request, or while the first one has not written its job yet, is a 409 as on
 * POST /v1/imports.
 */
export async function claimJobKey(
  ctx: JobsContext,
  tenant: string,
  idempotency: JobIdempotency,
  candidateId: string,
  manifestSha256: string | null,
): Promise<AcceptedJob | null> {
  const fingerprint = idempotency.fingerprint(manifestSha256);
  const claim = await ctx.call('the job store', () =>
    ctx.jobs.claimIdempotencyKey(tenant, idempotency.key, candidateId, fingerprint),
  );
  if (claim.fresh) return null;
  if (!claim.sameBody) {
    throw new FerryError(
      ErrorCode.IDEMPOTENCY_CONFLICT,
      'this Idempotency-Key was already used with a different request body',
      { status: 409 },
    );
  }
  const status = await ctx.call('the job store', () => ctx.jobs.status(claim.id));
  if (status === null) {
    // The first request holds the key but has not written its job yet (or failed and is releasing
    // the key): the client should retry shortly.
    throw new FerryError(
      ErrorCode.IDEMPOTENCY_CONFLICT,
      'a request with this Idempotency-Key is still being processed; retry shortly',
      { status: 409 },
    );
  }
  return { id: claim.id, status, created: false };
}
