import { createLogger, IMPORT_JOB_NAME, newImportId, SecretBox, sealRequest } from '@ferry/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { importRequest, startTestApi, TENANTS, type TestApi } from '../testing/api-harness.ts';
import { requeueUnqueued } from './requeue-unqueued.ts';

const MINUTE = 60_000;
/** A clock past the grace period of every import written so far. */
const later = () => Date.now() + 2 * MINUTE;

describe('requeueUnqueued: imports whose submit died between writing the record and queueing the job', () => {
  let api: TestApi;
  afterEach(async () => {
    await api.close();
  });

  /** What a submit writes before it queues the job, and no more: the API died there. */
  const writeRecordOnly = async (tenant: string, key: string) => {
    const secrets = SecretBox.fromConfig(api.config, createLogger('test', 'silent'));
    const record = api.store.newRecord(newImportId(), tenant, sealRequest(importRequest(key), secrets));
    await api.store.createManyCountingBacklog([record]);
    return record;
  };

  const submit = async (key: string): Promise<string> => {
    const response = await api.call('a', { method: 'POST', url: '/v1/imports', payload: importRequest(key) });
    expect(response.statusCode).toBe(202);
    return response.json().id;
  };

  it('leaves nothing to do after a submit that finished', async () => {
    api = await startTestApi();
    await submit('whole.bin');
    expect(await api.store.unqueuedBefore(later(), 10)).toEqual([]);
    expect(await requeueUnqueued(api, MINUTE, later)).toEqual([]);
    expect(await api.queue.count()).toBe(1);
  });

  it("queues the job once the grace period has passed, once, ranked behind the tenant's other imports", async () => {
    api = await startTestApi();
    await submit('earlier.bin');
    const orphan = await writeRecordOnly(TENANTS.a, 'orphan.bin');
    expect(await api.queue.getJob(orphan.id)).toBeUndefined();

    // Within the grace period a submit may still be on its way to queueing the job.
    expect(await requeueUnqueued(api, MINUTE)).toEqual([]);
    expect(await api.queue.getJob(orphan.id)).toBeUndefined();

    const requeued = await requeueUnqueued(api, MINUTE, later);
    expect(requeued.map((record) => record.id)).toEqual([orphan.id]);
    const job = await api.queue.getJob(orphan.id);
    expect(job?.name).toBe(IMPORT_JOB_NAME);
    expect(job?.data).toEqual({ importId: orphan.id });
    // One other import of the tenant is queued: the same rank a submit now would get.
    expect(job?.priority).toBe(1);
    expect(await api.store.status(orphan.id)).toBe('queued');

    expect(await requeueUnqueued(api, MINUTE, later)).toEqual([]);
    expect(await api.store.unqueuedBefore(later(), 10)).toEqual([]);
    expect(await api.queue.count()).toBe(2);
  });

  it('only marks imports whose job did get queued, or which are no longer queued', async () => {
    api = await startTestApi();
    // The job was queued but the process died before marking it.
    const queued = await writeRecordOnly(TENANTS.a, 'queued.bin');
    await api.queue.add(
      IMPORT_JOB_NAME,
      { importId: queued.id, tenant: TENANTS.a, request: queued.request },
      {
        jobId: queued.id,
      },
    );
    // Canceled before anything ran it.
    const canceled = await writeRecordOnly(TENANTS.b, 'canceled.bin');
    await api.store.markCanceled(canceled.id);

    expect(await requeueUnqueued(api, MINUTE, later)).toEqual([]);
    expect(await api.store.unqueuedBefore(later(), 10)).toEqual([]);
    expect(await api.queue.count()).toBe(1);
    expect(await api.queue.getJob(canceled.id)).toBeUndefined();
  });

  it('runs in the API process: an orphaned import gets its job within REQUEUE_AFTER_S', async () => {
    api = await startTestApi({ env: { REQUEUE_AFTER_S: '1' } });
    const orphan = await writeRecordOnly(TENANTS.b, 'found.bin');
    await expect
      .poll(async () => (await api.queue.getJob(orphan.id))?.data.importId, { timeout: 5000 })
      .toBe(orphan.id);
    expect(await api.store.unqueuedBefore(later(), 10)).toEqual([]);
    // Operators see it happen.
    await expect
      .poll(async () => (await api.call(null, { method: 'GET', url: '/metrics' })).body)
      .toContain('ferry_api_imports_requeued_total 1');
  });
});
