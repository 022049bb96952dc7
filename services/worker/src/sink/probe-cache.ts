import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { EndpointCapabilities } from './checksum-mode.ts';

/** What an endpoint does does not change from one worker to the next; a server upgrade is rare. */
const PROBE_TTL_S = 24 * 3600;

export interface ProbeCache {
  get(endpoint: string, bucket: string): Promise<EndpointCapabilities | null>;
  set(endpoint: string, bucket: string, capabilities: EndpointCapabilities): Promise<void>;
}

/**
 * The endpoint probe's answer kept fleet-wide in Redis, so only the fleet's first worker probes:
 * every new worker of a scale-out would otherwise open two scratch uploads first (a dozen requests),
 * and one killed in the middle of its probe would leave them open. A Redis that cannot answer means
 * probing again, never failing an import.
 */
export class RedisProbeCache implements ProbeCache {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async get(endpoint: string, bucket: string): Promise<EndpointCapabilities | null> {
    const stored = await this.#redis.get(this.#key(endpoint, bucket)).catch(() => null);
    if (!stored) return null;
    try {
      return JSON.parse(stored) as EndpointCapabilities;
    } catch {
      return null;
    }
  }

  async set(endpoint: string, bucket: string, capabilities: EndpointCapabilities): Promise<void> {
    await this.#redis
      .set(this.#key(endpoint, bucket), JSON.stringify(capabilities), 'EX', PROBE_TTL_S)
      .catch(() => {});
  }

  /** Keyed by a digest: an endpoint URL may carry credentials in odd setups, and keys show in tools. */
  #key(endpoint: string, bucket: string): string {
    return `${this.#prefix}s3-probe:${createHash('sha256').update(`${endpoint}\n${bucket}`).digest('hex').slice(0, 32)}`;
  }
}
