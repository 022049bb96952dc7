import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SOURCE_URL } from '@ferry/shared';
import type { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBudget } from '../bytes/memory-budget.ts';
import type { PartStream } from '../bytes/part-stream.ts';
import { toTransferError } from '../errors/transfer-error.ts';
import { testFleet } from '../limits/test-limiters.ts';
import { partTooLong, partTooShort } from '../sink/part-length.ts';
import { HOSTILE_CLASSES, HOSTILE_SIZE, type HostileClass } from '../testing/hostile-answers.ts';
import { FLOOD_CLASSES, HOSTILE_OUTCOMES } from '../testing/hostile-outcomes.ts';
import { type HostileServer, startHostileServer } from '../testing/hostile-server.ts';
import { readPartStream } from '../testing/read-part-stream.ts';
import { ByteMeter } from '../transfer/byte-meter.ts';
import { createGuardedAgent } from './guarded-agent.ts';
import { HttpSource } from './http-source.ts';
import { PooledHttpClient } from './pooled-http-client.ts';
import { toSourceError } from './source-error.ts';

const MIB = 1024 * 1024;
/** Short, so that every stall and trickle ends in well under a second; the bounds below are generous. */
const TIMEOUT_MS = 1000;
/** A failure must come before this: several timeouts, whatever the class. */
const BOUND_MS = 15 * TIMEOUT_MS;

/** Reads a part as the sink does: exactly `length` bytes, no more (an endless body), no fewer. */
function readPart(stream: PartStream, length: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    stream.start({
      piece: (chunk, release) => {
        bytes += chunk.length;
        release();
        if (bytes > length) {
          stream.destroy();
          reject(partTooLong(length));
        }
      },
      end: () => (bytes === length ? resolve(bytes) : reject(partTooShort(bytes, length))),
      error: reject,
    });
  });
}

/** Retained memory after a full collection: what a flood would leave behind if it were buffered. */
function retainedBytes(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describe('HttpSource against a hostile server (every class at once, one connection pool)', () => {
  let server: HostileServer;
  let agent: Agent;
  const client = new PooledHttpClient({
    allowPrivate: true,
    headersTimeoutMs: TIMEOUT_MS,
    bodyTimeoutMs: TIMEOUT_MS,
    minBytesPerSecond: 1024,
  });
  const budget = new MemoryBudget(64 * MIB);
  const fleet = testFleet();
  const limiter = fleet.worker();
  const file = randomBytes(512 * 1024);
  const healthy: Buffer[] = [];
  const outcomes = new Map<HostileClass, { error: unknown; ms: number }>();
  let retainedBefore = 0;
  let retainedAfter = 0;

  /** A well-behaved object on the same server, read through the same pool. */
  async function readHealthy(): Promise<Buffer> {
    const source = new HttpSource({ type: 'http', url: server.fileUrl }, agent, client, limiter);
    const signal = new AbortController().signal;
    const metadata = await source.metadata(signal);
    const lease = await budget.acquire(MIB, signal);
    try {
      const stream = await source.readRange(0, file.length - 1, metadata, signal, lease);
      return await readPartStream(stream as PartStream);
    } finally {
      lease.release();
    }
  }

  /**
   * What one import does before its bytes move: metadata, then the part (the whole object), or the
   * streaming fallback's whole GET through a ByteMeter when the source advertises no ranges.
   */
  async function importOnce(name: HostileClass): Promise<void> {
    const source = new HttpSource({ type: 'http', url: server.urlOf(name) }, agent, client, limiter);
    const signal = new AbortController().signal;
    const metadata = await source.metadata(signal);
    if (!metadata.ranges) {
      const { body } = await source.readAll(signal);
      const meter = new ByteMeter(metadata.size);
      await pipeline(body, meter, new Writable({ write: (_chunk, _encoding, done) => done() }));
      return;
    }
    const lease = await budget.acquire(MIB, signal);
    try {
      const stream = await source.readRange(0, HOSTILE_SIZE - 1, metadata, signal, lease);
      await readPart(stream as PartStream, HOSTILE_SIZE);
    } finally {
      lease.release();
    }
  }

  beforeAll(async () => {
    // Trickles send a byte four times per timeout: never silent long enough to time out.
    server = await startHostileServer({ trickleMs: TIMEOUT_MS / 4, file });
    agent = createGuardedAgent(true, undefined, SOURCE_URL, {
      headersTimeoutMs: TIMEOUT_MS,
      bodyTimeoutMs: TIMEOUT_MS,
    });
    // One healthy read first, so that a short timeout does not measure the first run of the code.
    healthy.push(await readHealthy());
    retainedBefore = retainedBytes();
    await Promise.all([
      readHealthy().then((bytes) => healthy.push(bytes)),
      ...HOSTILE_CLASSES.map(async (name) => {
        const started = performance.now();
        const error = await importOnce(name).then(
          () => null,
          (failure: unknown) => failure,
        );
        outcomes.set(name, {
          error: error === null ? null : toSourceError(error),
          ms: performance.now() - started,
        });
      }),
    ]);
    retainedAfter = retainedBytes();
  }, 60_000);

  afterAll(async () => {
    client.close();
    if (agent && !agent.closed) await agent.close();
    await fleet.close();
    await server?.close();
  });

  it('reads a healthy object on the same server and pool meanwhile', () => {
    expect(healthy).toHaveLength(2);
    for (const bytes of healthy) expect(bytes.equals(file)).toBe(true);
  });

  it('serves at least 25 classes, each with an expected outcome', () => {
    expect(HOSTILE_CLASSES.length).toBeGreaterThanOrEqual(25);
    expect(Object.keys(HOSTILE_OUTCOMES).sort()).toEqual([...HOSTILE_CLASSES].sort());
  });

  it.each(HOSTILE_CLASSES)('%s ends in its stable code and retryable flag, within the bound', (name) => {
    const outcome = outcomes.get(name);
    expect(outcome?.error, `${name} was read as if it were fine`).toBeTruthy();
    const error = toTransferError(outcome?.error);
    expect({ code: error.code, retryable: error.retryable }, error.message).toEqual(HOSTILE_OUTCOMES[name]);
    expect(outcome?.ms).toBeLessThan(BOUND_MS);
  });

  it('stops reading a flood after a bounded number of bytes, and holds on to none of it', () => {
    for (const name of FLOOD_CLASSES) {
      // The server would send 256 MiB; what it got out is the client's limit plus the kernel's buffers.
      expect(server.bytesSent(name), name).toBeGreaterThan(0);
      expect(server.bytesSent(name), name).toBeLessThan(32 * MIB);
    }
    expect(retainedAfter - retainedBefore).toBeLessThan(16 * MIB);
    expect(budget.reserved).toBe(0);
  });

  it('closes every connection that carried a hostile answer (only idle kept-alive ones stay)', async () => {
    // undici's idle connections (the streaming fallback's) go with its agent; the pooled client's stay.
    await agent.close();
    // The server sees a close a moment after the client makes it: wait for it, with the test's timeout.
    while (server.openConnections > client.openConnections) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(server.openConnections).toBeLessThanOrEqual(client.openConnections);
  });
});
