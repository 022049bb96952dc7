import type { ImportRequest } from '@ferry/shared';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRequest, startTestApi, type TestApi } from '../testing/api-harness.ts';

const submitBatch = (api: TestApi, imports: unknown[], who: 'a' | 'b' = 'a') =>
  api.call(who, { method: 'POST', url: '/v1/imports/batch', payload: { imports } });

const requests = (count: number, prefix: string): ImportRequest[] =>
  Array.from({ length: count }, (_, i) => importRequest(`${prefix}/${i}.bin`));

/**
 * Counts round trips and commands. ioredis writes a standalone command to its socket in one write
 * and a whole pipeline or MULTI in one write, so socket writes are round trips to Redis.
 */
function countRedisTraffic(redis: Redis): {
  readonly roundTrips: number;
  readonly commands: number;
  stop(): void;
} {
  const client = redis as unknown as {
    stream: { write: (...args: unknown[]) => boolean };
    sendCommand: (...args: unknown[]) => unknown;
  };
  const { stream } = client;
  const write = stream.write;
  const sendCommand = client.sendCommand;
  let roundTrips = 0;
  let commands = 0;
  stream.write = function (this: unknown, ...args: unknown[]) {
    roundTrips++;
    return write.apply(this, args);
  };
  client.sendCommand = function (this: unknown, ...args: unknown[]) {
    commands++;
    return sendCommand.apply(this, args);
  };
  return {
    get roundTrips() {
      return roundTrips;
    },
    get commands() {
      return commands;
    },
    stop: () => {
      stream.write = write;
      client.sendCommand = sendCommand;
    },
  };
}

describe('POST /v1/imports/batch', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('accepts 1000 items, refusing the bad ones on their own, and queues the rest', async () => {
    const items: unknown[] = requests(1000, 'batch-1000');
    items[3] = { ...importRequest('bad-bucket'), destination: { bucket: 'No_Such', key: 'k' } };
    items[500] = {
      source: { type: 'http', url: 'ftp://files.example.com/x' },
      destination: { bucket: 'ok-b', key: 'k' },
    };
    items[998] = { ...importRequest('extra'), priority: 'high' };
    items[999] = importRequest('ssrf', 'http://169.254.169.254/latest/meta-data/');

    const response = await submitBatch(api, items);
    expect(response.statusCode).toBe(200);
    const { results } = response.json() as {
      results: (
        | { index: number; id: string; status: string }
        | { index: number; error: { code: string; message: string } }
      )[];
    };
    expect(results).toHaveLength(1000);
    expect(results.map((r) => r.index)).toEqual(items.map((_, i) => i));

    const refused = results.filter((r) => 'error' in r);
    expect(refused).toEqual([
      {
        index: 3,
        error: expect.objectContaining({
          code: 'VALIDATION_FAILED',
          message: expect.stringMatching(/^destination\.bucket: /),
        }),
      },
      {
        index: 500,
        error: expect.objectContaining({
          code: 'VALIDATION_FAILED',
          message: 'source.url: url must use http or https',
        }),
      },
      {
        index: 998,
        error: expect.objectContaining({ code: 'VALIDATION_FAILED', message: 'priority: unknown field' }),
      },
      { index: 999, error: expect.objectContaining({ code: 'SOURCE_ADDRESS_REFUSED' }) },
    ]);

    const accepted = results.filter((r): r is { index: number; id: string; status: string } => 'id' in r);
    expect(accepted).toHaveLength(996);
    expect(new Set(accepted.map((r) => r.id)).size).toBe(996);
    // One tenant's batch: its first job waits plainly, the rest are numbered behind it (fair-priority.ts).
    expect(await api.queue.getJobCounts('waiting', 'prioritized')).toEqual({ waiting: 1, prioritized: 995 });
    const sample = accepted[10] as { index: number; id: string };
    expect((await api.queue.getJob(sample.id))?.data).toEqual({ importId: sample.id });
    expect(await api.store.get(sample.id)).toMatchObject({ status: 'queued', request: items[sample.index] });
  });

  it('refuses 1001 items with 400 naming imports', async () => {
    const response = await submitBatch(api, requests(1001, 'too-many'));
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'imports: must hold at most 1000 imports',
      details: [{ field: 'imports', message: 'must hold at most 1000 imports' }],
    });
  });

  it.each([
    ['an empty list', { imports: [] }, /^imports: must hold at least 1 import/],
    ['a missing list', {}, /^imports: is required/],
    ['a list that is not an array', { imports: { a: 1 } }, /^imports: must be an array/],
    ['an unknown top-level field', { imports: [importRequest()], dryRun: true }, /^dryRun: unknown field/],
  ])('refuses %s with 400', async (_, payload, message) => {
    const response = await api.call('a', { method: 'POST', url: '/v1/imports/batch', payload });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(message);
  });

  it('refuses an Idempotency-Key rather than ignore it', async () => {
    const response = await api.call('a', {
      method: 'POST',
      url: '/v1/imports/batch',
      headers: { 'idempotency-key': 'k1' },
      payload: { imports: [importRequest()] },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/^idempotency-key: /);
  });

  it('writes nothing when every item is refused', async () => {
    const before = await api.queue.count();
    const response = await submitBatch(api, [{ nope: 1 }, 'not an object']);
    expect(response.statusCode).toBe(200);
    expect(response.json().results.map((r: { error: { message: string } }) => r.error.message)).toEqual([
      'source: is required; destination: is required; nope: unknown field',
      '(body): must be an object',
    ]);
    expect(await api.queue.count()).toBe(before);
  });
});

describe('batch cost in Redis round trips', () => {
  let api: TestApi;
  beforeAll(async () => {
    // The API's own poll far off: only the submits' traffic is counted.
    api = await startTestApi({ env: { QUEUE_FEED_POLL_MS: '60000' } });
    // Warm up: BullMQ's connection checks and script loading happen once, on first use.
    expect((await submitBatch(api, requests(2, 'warm-up'))).statusCode).toBe(200);
  });
  afterAll(async () => {
    await api.close();
  });

  async function trafficFor(count: number): Promise<{ roundTrips: number; commands: number }> {
    const traffic = countRedisTraffic(api.redis);
    try {
      const response = await submitBatch(api, requests(count, `rt-${count}`));
      expect(response.statusCode).toBe(200);
      expect(response.json().results.every((r: { status?: string }) => r.status === 'queued')).toBe(true);
      return { roundTrips: traffic.roundTrips, commands: traffic.commands };
    } finally {
      traffic.stop();
    }
  }

  it('costs as many round trips for 500 items as for 10: one MULTI for the records, one feeding pass', async () => {
    const ten = await trafficFor(10);
    const fiveHundred = await trafficFor(500);
    expect(fiveHundred.roundTrips).toBe(ten.roundTrips);
    // The pass: the room, the lease, the room again, the unfed lists' heads and their imports'
    // statuses, the jobs, dropping the entries and freeing the lease.
    expect(ten.roundTrips).toBeLessThanOrEqual(12);
    // The counter does see the work: commands inside those transactions grow with the batch.
    expect(fiveHundred.commands).toBeGreaterThan(ten.commands * 10);
    expect(await api.queue.getJobCountByTypes('waiting', 'prioritized')).toBe(2 + 10 + 500);
  });

  it('is one round trip, the MULTI, while the window is full: a backlog costs a submit nothing more', async () => {
    const full = await startTestApi({ env: { QUEUE_FEED_WINDOW: '1', QUEUE_FEED_POLL_MS: '60000' } });
    try {
      // The first fills the window, and its pass finds it full.
      expect((await submitBatch(full, requests(2, 'fills'))).statusCode).toBe(200);
      const traffic = countRedisTraffic(full.redis);
      try {
        expect((await submitBatch(full, requests(500, 'behind'))).statusCode).toBe(200);
        expect(traffic.roundTrips).toBe(1);
      } finally {
        traffic.stop();
      }
      expect(await full.queue.getJobCountByTypes('waiting', 'prioritized')).toBe(1);
    } finally {
      await full.close();
    }
  });
});
