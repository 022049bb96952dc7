import { rmSync } from 'node:fs';
import { startFileSource } from '@ferry/local-stack';
import { createLogger, type ImportEvent, importEventId, WebhookSecrets } from '@ferry/shared';
import { logCapture, randomFile, startWebhookReceiver, type WebhookReceiver } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outbox } from './events/outbox.ts';
import type { WorkerHandle } from './start-worker.ts';
import { Harness } from './testing/harness.ts';

const file = randomFile(256 * 1024);
afterAll(() => rmSync(file.dir, { recursive: true, force: true }));

/** Delivery knobs shrunk so retries take milliseconds; the behaviour under them is the production one. */
const FAST_EVENTS = {
  EVENTS_POLL_MS: '50',
  EVENTS_TIMEOUT_MS: '2000',
  EVENTS_RETRY_BASE_MS: '50',
  EVENTS_RETRY_CAP_MS: '200',
};

const SOURCE_TOKEN = 'source-token-7f3a9c';
const CALLBACK_TOKEN = 'callback-token-1b2c3d';

describe('completion webhooks', () => {
  let harness: Harness;
  let receiver: WebhookReceiver;
  let sourceUrl: string;
  let secret: string;
  let worker: WorkerHandle;
  const logs = logCapture();
  const servers: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    harness = await Harness.create();
    receiver = await startWebhookReceiver();
    const source = await startFileSource({ root: file.dir, ranges: true });
    servers.push(receiver, source);
    sourceUrl = `${source.url}/${file.name}`;
    worker = await harness.startWorker(FAST_EVENTS, { logger: createLogger('worker', 'info', logs.stream) });
    secret = (await new WebhookSecrets(harness.redis, harness.store.keys, harness.secrets).get('tenant-test'))
      .current;
  });
  afterAll(async () => {
    await harness?.close();
    for (const server of servers) await server.close();
  });

  const deliveriesFor = (id: string) =>
    receiver.received().filter((request) => request.headers['webhook-id'] === importEventId(id));

  it('POSTs import.completed signed per Standard Webhooks, and records the delivery', async () => {
    const id = await harness.submit(
      { type: 'http', url: sourceUrl, headers: { authorization: `Bearer ${SOURCE_TOKEN}` } },
      'completed.bin',
      {},
      undefined,
      { url: `${receiver.url}/hooks/ferry?token=${CALLBACK_TOKEN}` },
    );
    const record = await harness.waitFor(id, (r) => r.notify?.status === 'delivered');
    expect(record.status).toBe('completed');
    expect(record.notify).toEqual({ status: 'delivered', attempts: 1, deliveredAt: expect.any(String) });

    const [delivery, ...more] = deliveriesFor(id);
    expect(more).toEqual([]);
    if (!delivery) throw new Error('no delivery');
    // The receiver is called at the URL as given, token and all.
    expect(delivery.path).toBe(`/hooks/ferry?token=${CALLBACK_TOKEN}`);
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(delivery.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    const event = receiver.verify(delivery, secret) as ImportEvent;
    expect(event).toEqual({
      type: 'import.completed',
      timestamp: record.updatedAt,
      data: {
        id,
        status: 'completed',
        source: { type: 'http', url: sourceUrl, headerNames: ['authorization'] },
        destination: { bucket: harness.bucket, key: 'completed.bin' },
        createdAt: record.createdAt,
        result: record.result,
      },
    });
    expect(() => receiver.verify(delivery, `whsec_${Buffer.alloc(32, 1).toString('base64')}`)).toThrow(
      'No matching signature',
    );
    expect(await new Outbox(harness.redis, harness.store.keys).pending('webhook')).toBe(0);
  });

  it('retries after 500s with the same id and body, each attempt signed', async () => {
    receiver.answerWith(500, 503);
    const id = await harness.submit({ type: 'http', url: sourceUrl }, 'retried.bin', {}, undefined, {
      url: `${receiver.url}/retried`,
    });
    const record = await harness.waitFor(id, (r) => r.notify?.status === 'delivered');
    expect(record.notify).toMatchObject({ status: 'delivered', attempts: 3 });

    const deliveries = deliveriesFor(id);
    expect(deliveries.map((d) => d.status)).toEqual([500, 503, 204]);
    expect(new Set(deliveries.map((d) => d.body)).size).toBe(1);
    for (const delivery of deliveries)
      expect(receiver.verify(delivery, secret)).toMatchObject({ type: 'import.completed' });
    const metrics = await worker.metrics.registry.metrics();
    expect(metrics).toContain('ferry_worker_event_deliveries_total{sink="webhook",outcome="retried"} 2');
  });

  it('sends import.failed with the error', async () => {
    const id = await harness.submit(
      { type: 'http', url: `${sourceUrl}.missing` },
      'failed.bin',
      {},
      undefined,
      { url: `${receiver.url}/failed` },
    );
    const record = await harness.waitFor(id, (r) => r.notify?.status === 'delivered');
    expect(record.status).toBe('failed');
    const [delivery] = deliveriesFor(id);
    if (!delivery) throw new Error('no delivery');
    expect(receiver.verify(delivery, secret)).toMatchObject({
      type: 'import.failed',
      data: { id, status: 'failed', error: { code: 'SOURCE_NOT_FOUND' } },
    });
  });

  it('sends import.canceled for an import canceled while queued', async () => {
    // Delayed: no worker takes it before the cancel.
    const id = await harness.submit(
      { type: 'http', url: sourceUrl },
      'canceled.bin',
      { delay: 600_000 },
      undefined,
      {
        url: `${receiver.url}/canceled`,
      },
    );
    await harness.cancel(id);
    const record = await harness.waitFor(id, (r) => r.notify?.status === 'delivered');
    expect(record.status).toBe('canceled');
    const [delivery] = deliveriesFor(id);
    if (!delivery) throw new Error('no delivery');
    expect(receiver.verify(delivery, secret)).toMatchObject({
      type: 'import.canceled',
      data: { id, status: 'canceled' },
    });
  });

  it('writes no outbox entry for imports nobody listens to', async () => {
    const id = await harness.submit({ type: 'http', url: sourceUrl }, 'unheard.bin');
    const record = await harness.waitForStatus(id, ['completed']);
    expect(record.notify).toBeUndefined();
    expect(await harness.redis.exists(harness.store.keys.outboxEntry('webhook', id))).toBe(0);
    expect(await harness.redis.exists(harness.store.keys.outboxEntry('sqs', id))).toBe(0);
  });

  it('puts no secret in logs or events', () => {
    const logged = JSON.stringify(logs.lines);
    expect(logged).toContain('event delivered');
    for (const needle of [SOURCE_TOKEN, CALLBACK_TOKEN, secret, secret.slice(6)]) {
      expect(logged).not.toContain(needle);
      for (const delivery of receiver.received()) expect(delivery.body).not.toContain(needle);
    }
  });

  it('signs with the old and the new secret after a rotation', async () => {
    const rotated = await new WebhookSecrets(harness.redis, harness.store.keys, harness.secrets).rotate(
      'tenant-test',
    );
    const id = await harness.submit({ type: 'http', url: sourceUrl }, 'rotated.bin', {}, undefined, {
      url: `${receiver.url}/rotated`,
    });
    await harness.waitFor(id, (r) => r.notify?.status === 'delivered');
    const [delivery] = deliveriesFor(id);
    if (!delivery) throw new Error('no delivery');
    expect(String(delivery.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(receiver.verify(delivery, rotated.current)).toMatchObject({ data: { id } });
    expect(receiver.verify(delivery, secret)).toMatchObject({ data: { id } });
  });
});

describe('webhooks that cannot be delivered', () => {
  let harness: Harness;
  let receiver: WebhookReceiver;
  const servers: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    harness = await Harness.create();
    receiver = await startWebhookReceiver();
    servers.push(receiver);
    // A name that pointed somewhere public at submit and at the task metadata endpoint now.
    const resolveAll = async (host: string) => [
      { address: host === 'rebound.example' ? '169.254.170.2' : '127.0.0.1', family: 4 },
    ];
    await harness.startWorker({ ...FAST_EVENTS, EVENTS_GIVE_UP_AFTER_S: '1' }, { resolveAll });
  });

  const canceledWithNotify = async (url: string): Promise<string> => {
    const id = await harness.submit(
      { type: 'http', url: 'http://127.0.0.1:9/nothing' },
      'x.bin',
      { delay: 600_000 },
      undefined,
      { url },
    );
    await harness.cancel(id);
    return id;
  };
  afterAll(async () => {
    await harness?.close();
    for (const server of servers) await server.close();
  });

  it('is given up after the give-up period, with state failed and the last error', async () => {
    receiver.answerWith(...new Array<number>(1000).fill(500));
    const id = await canceledWithNotify(`${receiver.url}/down`);
    const record = await harness.waitFor(id, (r) => r.notify?.status === 'failed', 15_000);
    expect(record.notify).toMatchObject({ status: 'failed', lastError: 'HTTP 500' });
    expect(record.notify?.attempts).toBeGreaterThan(1);
    expect(record.notify?.attempts).toBe(receiver.received().length);
    expect(await new Outbox(harness.redis, harness.store.keys).pending('webhook')).toBe(0);
  });

  it.each([
    ['http://169.254.169.254/hook', 'notify address 169.254.169.254 is a cloud metadata address'],
    [
      'http://rebound.example/hook',
      'notify host "rebound.example" resolves to 169.254.170.2, which is a cloud metadata address',
    ],
  ])('refuses %s at connect time, whatever was checked at submit', async (url, reason) => {
    const id = await canceledWithNotify(url);
    const record = await harness.waitFor(id, (r) => r.notify?.status === 'failed', 15_000);
    expect(record.notify?.lastError).toBe(reason);
  });
});
