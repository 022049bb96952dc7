import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRequest, startTestApi, type TestApi } from '../testing/api-harness.ts';

describe('operational endpoints', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('/healthz and /readyz answer 200 without auth', async () => {
    const health = await api.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await api.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok' });
  });

  it('/metrics shows queue counts by state and HTTP metrics by route pattern', async () => {
    const ids: string[] = [];
    for (const key of ['m1', 'm2', 'm3']) {
      const response = await api.call('a', {
        method: 'POST',
        url: '/v1/imports',
        payload: importRequest(key),
      });
      ids.push(response.json().id);
    }
    await api.call('a', { method: 'GET', url: `/v1/imports/${ids[0]}` });
    await api.call('a', { method: 'GET', url: `/v1/imports/${ids[1]}` });
    await api.call('a', { method: 'DELETE', url: `/v1/imports/${ids[2]}` });
    await api.call(null, { method: 'GET', url: '/no/such/route' });

    const response = await api.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = response.body;
    const queue = api.config.FERRY_QUEUE;
    // m1 waits plainly; m2 is numbered behind it, as one tenant's second import (fair-priority.ts).
    expect(text).toContain(`ferry_queue_jobs{queue="${queue}",state="waiting"} 1`);
    expect(text).toContain(`ferry_queue_jobs{queue="${queue}",state="prioritized"} 1`);
    // The third was canceled; all were fed at once (the window had room), so none waits unfed.
    for (const state of ['active', 'delayed', 'completed', 'failed', 'unfed']) {
      expect(text).toContain(`ferry_queue_jobs{queue="${queue}",state="${state}"} 0`);
    }
    expect(text).toContain(
      'ferry_api_http_requests_total{method="POST",route="/v1/imports",status_code="202"} 3',
    );
    expect(text).toContain(
      'ferry_api_http_requests_total{method="GET",route="/v1/imports/:id",status_code="200"} 2',
    );
    expect(text).toContain(
      'ferry_api_http_requests_total{method="DELETE",route="/v1/imports/:id",status_code="202"} 1',
    );
    expect(text).toContain(
      'ferry_api_http_requests_total{method="GET",route="unmatched",status_code="404"} 1',
    );
    expect(text).toMatch(
      /ferry_api_http_request_duration_seconds_count\{method="GET",route="\/v1\/imports\/:id",status_code="200"\} 2/,
    );
    // Raw URLs never become label values.
    expect(text).not.toContain(ids[0]);
  });

  it('/metrics works for several apps in one process', async () => {
    const other = await startTestApi();
    try {
      expect((await other.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
      expect((await api.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    } finally {
      await other.close();
    }
  });

  describe('/docs/json', () => {
    type Operation = { security?: unknown; responses: Record<string, unknown>; requestBody?: unknown };
    let doc: {
      openapi: string;
      paths: Record<string, Record<string, Operation>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    beforeAll(async () => {
      const response = await api.app.inject({ method: 'GET', url: '/docs/json' });
      expect(response.statusCode).toBe(200);
      doc = response.json();
    });

    it('is an OpenAPI 3.1 document with every public path', () => {
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths).sort()).toEqual([
        '/healthz',
        '/readyz',
        '/v1/imports',
        '/v1/imports/batch',
        '/v1/imports/{id}',
        '/v1/notify/secret',
      ]);
      expect(Object.keys(doc.paths['/v1/imports'] ?? {}).sort()).toEqual(['get', 'post']);
      expect(Object.keys(doc.paths['/v1/notify/secret'] ?? {}).sort()).toEqual(['get', 'post']);
      expect(Object.keys(doc.paths['/v1/imports/{id}'] ?? {}).sort()).toEqual(['delete', 'get']);
    });

    it('declares bearer auth and applies it to every /v1 operation', () => {
      expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
      for (const [path, operations] of Object.entries(doc.paths)) {
        for (const operation of Object.values(operations)) {
          if (path.startsWith('/v1/')) expect(operation.security).toEqual([{ bearerAuth: [] }]);
          else expect(operation.security).toBeUndefined();
        }
      }
    });

    it('documents the request bodies and the answers', () => {
      const submit = doc.paths['/v1/imports']?.post as Operation;
      expect(Object.keys(submit.responses).sort()).toEqual([
        '200',
        '202',
        '400',
        '401',
        '409',
        '413',
        '415',
        '422',
        '503',
      ]);
      const body = JSON.stringify(submit.requestBody);
      expect(body).toContain('"destination"');
      expect(body).toContain('"additionalProperties":false');
      // Batch items are documented as import requests although each is validated on its own.
      const batch = JSON.stringify(doc.paths['/v1/imports/batch']?.post?.requestBody);
      expect(batch).toContain('"maxItems":1000');
      expect(batch).toContain('"destination"');
      // Nothing the document points to is missing.
      const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
      expect(refs).toEqual([]);
    });
  });
});
