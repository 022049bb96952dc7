import { ErrorCode, FerryError, isFerryError } from '@ferry/shared';

/** Longest a request waits on Redis or the queue before answering 503. */
export const DEPENDENCY_TIMEOUT_MS = 5000;

export function unavailable(what: string, cause?: unknown): FerryError {
  return new FerryError(ErrorCode.UNAVAILABLE, `${what} is unavailable; retry later`, { status: 503, cause });
}

/**
 * Runs one call to Redis or the queue and turns any failure, or no answer within `timeoutMs`, into
 * a 503. A bounded wait matters because BullMQ waits indefinitely for a connection that never comes
 * up, and a client would rather retry than hang.
 */
export async function dependencyCall<T>(
  what: string,
  run: () => Promise<T>,
  timeoutMs = DEPENDENCY_TIMEOUT_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const call = run();
  // If the timeout wins, the call may still fail later; that failure has nobody left to tell.
  call.catch(() => {});
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([call, deadline]);
  } catch (error) {
    if (isFerryError(error)) throw error;
    throw unavailable(what, error);
  } finally {
    clearTimeout(timer);
  }
}

/** ioredis statuses in which the connection is lost and a retry is pending. */
const DISCONNECTED = new Set(['reconnecting', 'close', 'end']);

export type DependencyCall = <T>(what: string, run: () => Promise<T>) => Promise<T>;

/**
 * `dependencyCall` for work on one Redis client, failing at once while that client is known to be
 * disconnected: otherwise every request would sit in ioredis's offline queue until its retries run
 * out, and an outage would pile up waiting requests instead of answering 503 with Retry-After.
 */
export function dependencyCaller(
  redis: { readonly status: string },
  timeoutMs = DEPENDENCY_TIMEOUT_MS,
): DependencyCall {
  return (what, run) => {
    if (DISCONNECTED.has(redis.status)) return Promise.reject(unavailable(what));
    return dependencyCall(what, run, timeoutMs);
  };
}
