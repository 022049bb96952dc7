import { rmSync } from 'node:fs';
import { startFileSource } from '@ferry/local-stack';
import { FAILPOINT_EXIT_CODE, importEventId, WebhookSecrets } from '@ferry/shared';
import { randomFile, startWebhookReceiver, type WebhookReceiver } from '@ferry/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { spawnWorkerProcess, type WorkerProcess } from './testing/worker-process.ts';

const file = randomFile(64 * 1024);
afterAll(() => rmSync(file.dir, { recursive: true, force: true }));

/**
 * A worker process that dies between completing an import and notifying anyone: the event is in the
 * outbox (written with the completion), so the next worker delivers it, signed, exactly once.
 */
describe('a crash between complete and notify', () => {
  let harness: Harness;
  let receiver: WebhookReceiver;
  let sourceUrl = '';
  const servers: Array<{ close(): Promise<void> }> = [];
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    harness = await Harness.create();
    receiver = await startWebhookReceiver();
    const source = await startFileSource({ root: file.dir, ranges: true });
    servers.push(receiver, source);
    sourceUrl = `${source.url}/${file.name}`;
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop();
  });
  afterAll(async () => {
    await harness?.close();
    for (const server of servers) await server.close();
  });

  const spawn = (failpoints?: string, eventsPollMs = 50): WorkerProcess => {
    const worker = spawnWorkerProcess(
      harness.env({
        EVENTS_POLL_MS: String(eventsPollMs),
        // Short leases and job locks: the dead worker's claim and job come free within seconds.
        EVENTS_TIMEOUT_MS: '500',
        JOB_LOCK_MS: '5000',
        ...(failpoints ? { FERRY_FAILPOINTS: failpoints } : {}),
      }),
    );
    workers.push(worker);
    return worker;
  };

  it.each([
    ['notify.before-deliver', 'the dispatcher claimed the event'],
    ['import.after-complete', 'the record turned completed, the BullMQ job not yet'],
  ])('at %s (%s): the next worker delivers the event', async (failpoint) => {
    const path = `/${failpoint}`;
    // Dying at import.after-complete, the first worker must not have claimed the event yet: its
    // dispatcher polls once at start (an empty outbox) and not again for a minute.
    const first = spawn(`${failpoint}=exit`, failpoint === 'import.after-complete' ? 60_000 : 50);
    await first.ready;
    const id = await harness.submit({ type: 'http', url: sourceUrl }, `${failpoint}.bin`, {}, undefined, {
      url: `${receiver.url}${path}`,
    });
    expect((await first.exited).code).toBe(FAILPOINT_EXIT_CODE);
    const completed = await harness.store.get(id);
    expect(completed?.status).toBe('completed');
    expect(completed?.notify?.status).toBe('pending');
    expect(receiver.received().filter((r) => r.path === path)).toEqual([]);

    const second = spawn();
    await second.ready;
    const record = await harness.waitFor(id, (r) => r.notify?.status === 'delivered');
    expect(record.status).toBe('completed');
    // The first worker's claim counted as an attempt; its POST was never made.
    expect(record.notify?.attempts).toBe(failpoint === 'notify.before-deliver' ? 2 : 1);

    const deliveries = receiver.received().filter((r) => r.path === path);
    expect(deliveries).toHaveLength(1);
    const [delivery] = deliveries;
    if (!delivery) throw new Error('no delivery');
    expect(delivery.headers['webhook-id']).toBe(importEventId(id));
    const secret = (
      await new WebhookSecrets(harness.redis, harness.store.keys, harness.secrets).get('tenant-test')
    ).current;
    for (const worker of [first, second]) expect(worker.output()).not.toContain(secret.slice(6));
    expect(receiver.verify(delivery, secret)).toMatchObject({
      type: 'import.completed',
      timestamp: record.updatedAt,
      data: { id, status: 'completed', result: record.result },
    });
  });
});
