import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { EndpointCapabilities } from './checksum-mode.ts';

/** What an endpoint does does not change from one worker to the next; a server upgrade is rare. */
const PROBE_TTL_S = 24 * 3600;
/**
 * A turn's lease, renewed every third of it while its probe runs: a dead prober's turn comes free
 * this long after it died, and a slow one keeps its turn as long as it lives.
 */
const TURN_LEASE_MS = 10_000;
const TURN_POLL_MS = 250;

export interface ProbeCache {
  /**
   * The endpoint's capabilities: the fleet's answer when it has one, else `probe`'s, run by one
   * worker of the fleet at a time (the others wait for its answer). `clearLeftovers` runs first, in
   * the same turn: whatever scratch uploads it finds are a dead prober's.
   */
  probeOnce(
    endpoint: string,
    bucket: string,
    probe: () => Promise<EndpointCapabilities>,
    clearLeftovers: () => Promise<unknown>,
  ): Promise<EndpointCapabilities>;
}

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/**
 * The endpoint probe's answer kept fleet-wide in Redis, so only the fleet's first worker probes:
 * every new worker of a scale-out would otherwise open two scratch uploads first (a dozen requests).
 * Probes take turns, one worker at a time under a leased Redis key: a worker killed in the middle of
 * its probe leaves its scratch uploads open, and the next turn's holder removes them before probing,
 * which it can only do safely when no other worker is probing at the same moment. A Redis that
 * cannot answer means probing without a turn, never failing an import.
 */
export class RedisProbeCache implements ProbeCache {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async probeOnce(
    endpoint: string,
    bucket: string,
    probe: () => Promise<EndpointCapabilities>,
    clearLeftovers: () => Promise<unknown>,
  ): Promise<EndpointCapabilities> {
    const key = this.#key(endpoint, bucket);
    const turnKey = `${key}:turn`;
    const holder = randomBytes(8).toString('hex');
    for (;;) {
      const known = await this.#get(key);
      if (known) return known;
      const taken = await this.#redis
        .set(turnKey, holder, 'PX', TURN_LEASE_MS, 'NX')
        .then((answer) => answer === 'OK')
        .catch(() => null);
      if (taken === null) return probe();
      if (!taken) {
        await new Promise((resolve) => setTimeout(resolve, TURN_POLL_MS));
        continue;
      }
      const renewal = setInterval(() => {
        this.#redis.eval(RENEW, 1, turnKey, holder, TURN_LEASE_MS).catch(() => {});
      }, TURN_LEASE_MS / 3);
      try {
        await clearLeftovers();
        const probed = await probe();
        await this.#redis.set(key, JSON.stringify(probed), 'EX', PROBE_TTL_S).catch(() => {});
        return probed;
      } finally {
        clearInterval(renewal);
        await this.#redis.eval(RELEASE, 1, turnKey, holder).catch(() => {});
      }
    }
  }

  async #get(key: string): Promise<EndpointCapabilities | null> {
    const stored = await this.#redis.get(key).catch(() => null);
    if (!stored) return null;
    try {
      return JSON.parse(stored) as EndpointCapabilities;
    } catch {
      return null;
    }
  }

  /** Keyed by a digest: an endpoint URL may carry credentials in odd setups, and keys show in tools. */
  #key(endpoint: string, bucket: string): string {
    return `${this.#prefix}s3-probe:${createHash('sha256').update(`${endpoint}\n${bucket}`).digest('hex').slice(0, 32)}`;
  }
}
