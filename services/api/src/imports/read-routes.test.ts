import { newImportId } from '@ferry/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRequest, startTestApi, type TestApi } from '../testing/api-harness.ts';

describe('GET /v1/imports and /v1/imports/:id', () => {
  let api: TestApi;
  const ids: string[] = [];

  beforeAll(async () => {
    api = await startTestApi();
    // Created one at a time so ids (and so list order) follow creation order.
    for (let i = 0; i < 5; i++) {
      const response = await api.call('a', {
        method: 'POST',
        url: '/v1/imports',
        payload: importRequest(`r/${i}`),
      });
      ids.push(response.json().id);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  });
  afterAll(async () => {
    await api.close();
  });

  it('shows one import: status, progress, and the source without secrets', async () => {
    const request = {
      source: {
        type: 'http',
        url: 'https://user:hunter2@files.example.com/private.bin',
        headers: { Authorization: 'Bearer source-token-s3cr3t' },
      },
      destination: { bucket: 'ferry-dest', key: 'private.bin' },
    };
    const created = await api.call('a', { method: 'POST', url: '/v1/imports', payload: request });
    const { id } = created.json();
    await api.store.setProgress(id, 1024, 4096, 1024);

    const response = await api.call('a', { method: 'GET', url: `/v1/imports/${id}` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id,
      status: 'queued',
      source: {
        type: 'http',
        url: 'https://redacted:redacted@files.example.com/private.bin',
        headerNames: ['Authorization'],
      },
      destination: request.destination,
      progress: { bytesDone: 1024, bytesTotal: 4096 },
      attempts: 0,
    });
    expect(response.body).not.toContain('source-token-s3cr3t');
    expect(response.body).not.toContain('hunter2');
  });

  it('includes the result of a completed import and the error of a failed one', async () => {
    const [done, broken] = [ids[0] as string, ids[1] as string];
    await api.store.markRunning(done, 1);
    const result = { size: 10, etag: '"e"', checksum: 'sha256:ab', partCount: 1, durationMs: 5 };
    await api.store.markCompleted(done, result);
    await api.store.markFailed(broken, {
      code: 'SOURCE_NOT_FOUND',
      message: 'source answered 404',
      attempts: 1,
    });

    expect((await api.call('a', { method: 'GET', url: `/v1/imports/${done}` })).json()).toMatchObject({
      status: 'completed',
      result,
      progress: { bytesDone: 10, bytesTotal: 10 },
    });
    expect((await api.call('a', { method: 'GET', url: `/v1/imports/${broken}` })).json()).toMatchObject({
      status: 'failed',
      error: { code: 'SOURCE_NOT_FOUND', message: 'source answered 404', attempts: 1 },
    });
  });

  it.each([
    ['an unknown id', () => newImportId()],
    ['a malformed id', () => 'not-an-id'],
    ['an id with a Redis glob', () => 'imp_*'],
  ])('answers 404 NOT_FOUND for %s', async (_, id) => {
    const response = await api.call('a', { method: 'GET', url: `/v1/imports/${encodeURIComponent(id())}` });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no such import' } });
  });

  it("hides one tenant's imports from another, with the same answer as an unknown id", async () => {
    const theirs = await api.call('b', { method: 'GET', url: `/v1/imports/${ids[2]}` });
    const unknown = await api.call('b', { method: 'GET', url: `/v1/imports/${newImportId()}` });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.body).toBe(unknown.body);
    const list = await api.call('b', { method: 'GET', url: '/v1/imports' });
    expect(list.json()).toEqual({ items: [], nextCursor: null });
  });

  it('lists newest first and pages with nextCursor', async () => {
    const all = (await api.call('a', { method: 'GET', url: '/v1/imports' })).json();
    expect(all.items.length).toBe(6);
    expect(all.nextCursor).toBeNull();
    const newestFirst = all.items.map((i: { id: string }) => i.id);
    expect(newestFirst.slice(1)).toEqual([...ids].reverse());

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=4&cursor=${cursor}` : '?limit=4';
      const page = (await api.call('a', { method: 'GET', url: `/v1/imports${query}` })).json();
      expect(page.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.items.map((i: { id: string }) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(newestFirst);
  });

  it('filters by status', async () => {
    const completed = (await api.call('a', { method: 'GET', url: '/v1/imports?status=completed' })).json();
    expect(completed.items.map((i: { id: string }) => i.id)).toEqual([ids[0]]);
    const queued = (await api.call('a', { method: 'GET', url: '/v1/imports?status=queued&limit=2' })).json();
    expect(queued.items).toHaveLength(2);
    expect(queued.items.every((i: { status: string }) => i.status === 'queued')).toBe(true);
    expect(queued.nextCursor).not.toBeNull();
  });

  it.each([
    ['status=done', /^status: must be one of "queued", "running", "completed", "failed", "canceled"$/],
    ['status=queued&status=running', /^status: /],
    ['limit=0', /^limit: must be from 1 to 200$/],
    ['limit=201', /^limit: must be from 1 to 200$/],
    ['limit=2.5', /^limit: must be a whole number$/],
    ['limit=many', /^limit: must be a number$/],
    ['cursor=abc', /^cursor: must be a nextCursor value/],
    ['sort=asc', /^sort: unknown field$/],
  ])('refuses ?%s with 400 naming the parameter', async (query, message) => {
    const response = await api.call('a', { method: 'GET', url: `/v1/imports?${query}` });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('VALIDATION_FAILED');
    expect(response.json().error.message).toMatch(message);
  });
});
