import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@ferry/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';

function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

describe('worker lifecycle', () => {
  let harness: Harness;
  let served: ServedFile;

  beforeAll(async () => {
    harness = await Harness.create();
    served = await startServedFile(12 * 1024 * 1024);
  });

  afterAll(async () => {
    await harness?.close();
    await served?.close();
  });

  it('close() releases every socket and timer the worker opened', async () => {
    // Warm the harness's own connections so they are part of the baseline.
    await harness.store.status('none');
    await harness.queue.getJobCounts();
    await sleep(50);
    const baseline = handles();

    const worker = await harness.startWorker({ PART_SIZE_MIB: '5' });
    const id = await harness.submit({ type: 'http', url: served.url });
    expect((await harness.waitForStatus(id, ['completed', 'failed'])).status).toBe('completed');
    await worker.close();
    await worker.close(); // idempotent

    // Sockets and servers must be back to the baseline; timers may only be fewer (the harness and
    // vitest keep a few of their own). Polled by hand: expect.poll's timers would count too.
    const settled = (now: Record<string, number>) =>
      Object.keys({ ...now, ...baseline }).every((type) =>
        type === 'Timeout' ? (now[type] ?? 0) <= (baseline[type] ?? 0) : now[type] === baseline[type],
      );
    let now = handles();
    for (let waited = 0; waited < 5000 && !settled(now); waited += 50) {
      await sleep(50);
      now = handles();
    }
    expect(now).toSatisfy(settled);
  });

  it('logs start and finish with the import id, never the source headers', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const logger = createLogger('worker', 'trace', sink);
    const worker = await harness.startWorker({ PART_SIZE_MIB: '5' }, { logger });
    const secret = 'Bearer very-secret-token';
    const id = await harness.submit(
      {
        type: 'http',
        url: served.url,
        headers: { Authorization: secret, 'X-Api-Key': 'k-123' },
      },
      'logged.bin',
    );
    expect((await harness.waitForStatus(id, ['completed', 'failed'])).status).toBe('completed');
    await worker.close();

    const log = lines.join('');
    expect(log).toContain(id);
    expect(log).toContain('import started');
    expect(log).toContain('import completed');
    expect(log).not.toContain('very-secret-token');
    expect(log).not.toContain('k-123');
  });
});
