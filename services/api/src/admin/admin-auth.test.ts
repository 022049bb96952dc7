import { createLogger } from '@ferry/shared';
import { logCapture } from '@ferry/test-support';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, startTestApi, type TestApi } from '../testing/api-harness.ts';
import { type FleetFixture, SEEDED, seedFleet } from '../testing/fleet-fixture.ts';

const ADMIN_KEY = 'adm_7c1e9b2f4d6a8c0e1f3b5d7a';
const WRONG_ADMIN_KEY = 'adm_0000000000000000000000';

const basic = (key: string) => `Basic ${Buffer.from(`operator:${key}`).toString('base64')}`;

describe('the /admin pages without FERRY_ADMIN_KEYS', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it.each(['/admin/queues', '/admin/fleet', '/admin/queues/api/queues'])(
    'are not mounted: %s answers 404',
    async (url) => {
      const response = await api.app.inject({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${KEYS.a}` },
      });
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('NOT_FOUND');
    },
  );
});

describe('the /admin pages behind FERRY_ADMIN_KEYS', () => {
  let api: TestApi;
  let fleet: FleetFixture;
  const log = logCapture();
  const get = (url: string, authorization?: string) =>
    api.app.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} });

  beforeAll(async () => {
    api = await startTestApi({
      env: { FERRY_ADMIN_KEYS: `${ADMIN_KEY}, adm_second_key_for_rotation_01` },
      logger: createLogger('api', 'trace', log.stream),
    });
    fleet = await seedFleet(api.redis, api.config.FERRY_QUEUE);
  });
  afterAll(async () => {
    await fleet.close();
    await api.close();
  });

  it.each([
    ['no key', undefined],
    ['a tenant key as Bearer', `Bearer ${KEYS.a}`],
    ['a tenant key as Basic', basic(KEYS.b)],
    ['a wrong operator key', `Bearer ${WRONG_ADMIN_KEY}`],
    ['Basic without a password', `Basic ${Buffer.from(ADMIN_KEY).toString('base64')}`],
  ])('refuse %s: 401 UNAUTHORIZED with a Basic challenge', async (_, authorization) => {
    for (const url of ['/admin/queues', '/admin/fleet', '/admin/queues/api/queues', '/admin/no-such-page']) {
      const response = await get(url, authorization);
      expect(response.statusCode, url).toBe(401);
      expect(response.json().error.code).toBe('UNAUTHORIZED');
      expect(response.headers['www-authenticate']).toMatch(/^Basic realm="Ferry operators"/);
    }
  });

  it('open with an operator key, as Bearer or as Basic', async () => {
    for (const authorization of [
      `Bearer ${ADMIN_KEY}`,
      basic(ADMIN_KEY),
      'Bearer adm_second_key_for_rotation_01',
    ]) {
      const board = await get('/admin/queues', authorization);
      expect(board.statusCode).toBe(200);
      expect(board.headers['content-type']).toMatch(/^text\/html/);
      const fleetPage = await get('/admin/fleet', authorization);
      expect(fleetPage.statusCode).toBe(200);
      expect(fleetPage.headers['content-security-policy']).toContain("default-src 'none'");
    }
    expect((await get('/admin/no-such-page', `Bearer ${ADMIN_KEY}`)).statusCode).toBe(404);
  });

  it('stay out of the OpenAPI document', async () => {
    const document = (await get('/docs/json')).json();
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/admin'))).toEqual([]);
  });

  it("leave the tenants' API to tenant keys", async () => {
    const response = await get('/v1/imports', `Bearer ${ADMIN_KEY}`);
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  it('escape what the fleet page renders', async () => {
    const html = (await get('/admin/fleet', `Bearer ${ADMIN_KEY}`)).body;
    expect(html).toContain('queue depth 2 &lt;b&gt;needs&lt;/b&gt; 3 workers &amp; &quot;more&quot;');
    expect(html).not.toContain('<b>needs</b>');
    expect(html).toContain(SEEDED.pausedAccount);
  });

  it.each([
    ['PUT', 'retry/failed'],
    ['PUT', 'clean/failed'],
    ['PUT', 'obliterate'],
    ['PUT', 'pause'],
    ['POST', 'add'],
  ] as const)('are read-only: %s %s answers 405 and changes nothing', async (method, action) => {
    const name = api.config.FERRY_QUEUE;
    const response = await api.app.inject({
      method,
      url: `/admin/queues/api/queues/${encodeURIComponent(name)}/${action}`,
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      ...(method === 'POST' ? { payload: { name: 'injected', data: {} } } : {}),
    });
    // Bull Board's own refusal: the queue exists, and it is read-only.
    expect(response.statusCode).toBe(405);
    expect(response.body).toContain('QUEUE_READ_ONLY');
    const queue = new Queue(name, { connection: api.redis });
    try {
      expect(await queue.getJobCounts('waiting', 'failed', 'completed')).toEqual({
        waiting: SEEDED.waiting,
        failed: SEEDED.failed,
        completed: 0,
      });
      expect(await queue.isPaused()).toBe(false);
    } finally {
      await queue.close();
    }
  });

  it('never write an operator key to the log', () => {
    const text = JSON.stringify(log.lines);
    expect(text).toContain('"code":"UNAUTHORIZED"');
    for (const secret of [ADMIN_KEY, WRONG_ADMIN_KEY, basic(ADMIN_KEY).slice(6), KEYS.a]) {
      expect(text).not.toContain(secret);
    }
  });
});
