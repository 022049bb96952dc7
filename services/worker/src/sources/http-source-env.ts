import { envInt } from '@ferry/shared';
import type { PooledHttpOptions } from './pooled-http-client.ts';

/**
 * How long the worker waits on an HTTP source (plain URLs and the providers' downloads) before a
 * read counts as failed and is retried: the head, each silence in a body, and the least rate a body
 * must keep, so that a server stalling or trickling cannot hold an import's part for good.
 */
export const HttpSourceEnvFields = {
  SOURCE_HEADERS_TIMEOUT_MS: envInt(30_000, 50, 600_000),
  SOURCE_IDLE_TIMEOUT_MS: envInt(60_000, 50, 600_000),
  SOURCE_MIN_BYTES_PER_S: envInt(4096, 0, 1024 * 1024 * 1024),
};

export function httpSourceTimeouts(config: {
  SOURCE_HEADERS_TIMEOUT_MS: number;
  SOURCE_IDLE_TIMEOUT_MS: number;
  SOURCE_MIN_BYTES_PER_S: number;
}): Pick<PooledHttpOptions, 'headersTimeoutMs' | 'bodyTimeoutMs' | 'minBytesPerSecond'> {
  return {
    headersTimeoutMs: config.SOURCE_HEADERS_TIMEOUT_MS,
    bodyTimeoutMs: config.SOURCE_IDLE_TIMEOUT_MS,
    minBytesPerSecond: config.SOURCE_MIN_BYTES_PER_S,
  };
}
