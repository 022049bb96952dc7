import { randomBytes } from 'node:crypto';
import {
  type DropboxEmulator,
  type OtlpReceiver,
  objectSha256,
  type ReceivedSpan,
  startDropboxEmulator,
  startOtlpReceiver,
} from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, spawnApiProcess } from './testing/api-process.ts';
import { Harness } from './testing/harness.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';
import { spawnWorkerProcess, type WorkerProcess } from './testing/worker-process.ts';

const MIB = 1024 * 1024;
const SIZE = 12 * MIB;
const PARTS = 3; // 5 + 5 + 2 MiB
const API_KEY = 'ak_tracing_7f3e9b1c4d2a';
const TENANT = 'tenant-traced';
/** Secrets the import carries, none of which may reach a span. */
const HEADER_VALUE = 'Bearer hdr-secret-5b8e2f9a1c7d';
const SIGNATURE = 'sig-secret-0a9b8c7d6e5f';
const SIGNED_QUERY = `X-Amz-Signature=${SIGNATURE}&X-Amz-Credential=cred-secret-1f2e3d`;

/** What every service process gets to export its spans to the receiver promptly. */
const otelEnv = (receiver: OtlpReceiver): Record<string, string> => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_BSP_SCHEDULE_DELAY: '100',
});

describe('tracing: one import is one trace across the API, the queue and a worker (real processes)', () => {
  let harness: Harness;
  let served: ServedFile;
  let receiver: OtlpReceiver;
  let api: ApiProcess;
  let worker: WorkerProcess;
  let dropbox: DropboxEmulator;

  beforeAll(async () => {
    harness = await Harness.create();
    served = await startServedFile(SIZE);
    receiver = await startOtlpReceiver();
    dropbox = await startDropboxEmulator();
    const env = harness.env({ ...otelEnv(receiver), FERRY_API_KEYS: `${API_KEY}:${TENANT}` });
    api = await spawnApiProcess(env);
    worker = spawnWorkerProcess({
      ...env,
      PART_SIZE_MIB: '5',
      PART_CONCURRENCY: '2',
      DROPBOX_API_URL: dropbox.apiUrl,
      DROPBOX_CONTENT_URL: dropbox.contentUrl,
    });
    await worker.ready;
  });

  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await harness?.close();
    await receiver?.close();
    await dropbox?.close();
    await served?.close();
  });

  /** Submits through the API and waits for the import to end; answers its id. */
  const importThroughApi = async (request: unknown): Promise<string> => {
    const submitted = await api.call(API_KEY, 'POST', '/v1/imports', request);
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
    const id = (submitted.body as { id: string }).id;
    const record = await harness.waitForStatus(id, ['completed', 'failed'], 30_000);
    expect(record.error, worker.output()).toBeUndefined();
    return id;
  };

  /** The trace of import `id`, once its attempt's span has arrived. */
  const traceOf = async (id: string): Promise<ReceivedSpan[]> => {
    const spans = await receiver.waitFor((all) =>
      all.some((span) => span.name === 'ferry.import' && span.attributes['ferry.import.id'] === id),
    );
    const attempt = spans.find(
      (span) => span.name === 'ferry.import' && span.attributes['ferry.import.id'] === id,
    );
    return receiver.traces().get(attempt?.traceId ?? '') ?? [];
  };

  it('shows the submit, the job hop and the attempt with its metadata, parts, complete and verify; no secret anywhere', async () => {
    const submitted = await api.call(API_KEY, 'POST', '/v1/imports', {
      source: {
        type: 'http',
        url: `${served.url}?${SIGNED_QUERY}`,
        headers: { Authorization: HEADER_VALUE },
      },
      destination: { bucket: harness.bucket, key: 'traced.bin' },
    });
    expect(submitted.status).toBe(202);
    const id = (submitted.body as { id: string }).id;
    const record = await harness.waitForStatus(id, ['completed', 'failed'], 30_000);
    expect(record.error, worker.output()).toBeUndefined();
    expect(await objectSha256(harness.s3, harness.bucket, 'traced.bin')).toEqual({
      sha256: served.file.sha256,
      size: SIZE,
    });

    const trace = await traceOf(id);
    const submit = only(trace, (span) => span.name === 'ferry.import.submit');
    expect(submit).toMatchObject({
      service: 'ferry-api',
      attributes: {
        'ferry.import.id': id,
        'ferry.tenant': TENANT,
        'ferry.source.type': 'http',
        'ferry.import.count': 1,
      },
    });
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    const parentOf = (span: ReceivedSpan) => (span.parentSpanId ? byId.get(span.parentSpanId) : undefined);

    // The API's request spans above the submit: the HTTP server's and @fastify/otel's.
    const ancestors: ReceivedSpan[] = [];
    for (let span = parentOf(submit); span; span = parentOf(span)) ancestors.push(span);
    expect(
      ancestors.some((span) => span.kind === 2 && span.attributes['http.request.method'] === 'POST'),
    ).toBe(true);
    expect(ancestors.some((span) => span.attributes['http.route'] === '/v1/imports')).toBe(true);

    // The queue hop: BullMQ's producer span under the submit, its consumer span in the worker.
    const produced = only(trace, (span) => span.kind === 4 && span.parentSpanId === submit.spanId);
    const processed = only(trace, (span) => span.kind === 5 && span.service === 'ferry-worker');
    expect(processed.parentSpanId).toBe(produced.spanId);

    const attempt = only(trace, (span) => span.name === 'ferry.import');
    expect(attempt).toMatchObject({
      service: 'ferry-worker',
      parentSpanId: processed.spanId,
      attributes: {
        'ferry.import.id': id,
        'ferry.tenant': TENANT,
        'ferry.source.type': 'http',
        'ferry.attempt': 1,
        'ferry.outcome': 'completed',
        'ferry.bytes': SIZE,
        'ferry.parts': PARTS,
      },
      links: [],
    });
    const children = trace.filter((span) => span.parentSpanId === attempt.spanId);
    const named = (name: string) => children.filter((span) => span.name === name);
    expect(named('ferry.metadata').map((span) => span.attributes['ferry.bytes'])).toEqual([SIZE, undefined]);
    expect(named('ferry.complete')).toHaveLength(1);
    expect(named('ferry.verify')).toMatchObject([{ attributes: { 'ferry.bytes': SIZE } }]);
    const parts = named('ferry.part').sort(
      (a, b) => Number(a.attributes['ferry.part.number']) - Number(b.attributes['ferry.part.number']),
    );
    expect(
      parts.map((span) => [span.attributes['ferry.part.number'], span.attributes['ferry.bytes']]),
    ).toEqual([
      [1, 5 * MIB],
      [2, 5 * MIB],
      [3, 2 * MIB],
    ]);
    for (const part of parts) {
      expect(part.events.map((event) => event.name)).toEqual([
        'source read started',
        'uploaded',
        'checkpointed',
      ]);
      // The source read: the hand-written HTTP/1 client's span, as undici's instrumentation makes them.
      const reads = trace.filter(
        (span) => span.parentSpanId === part.spanId && span.kind === 3 && span.name === 'GET',
      );
      expect(reads).toHaveLength(1);
      expect(reads[0]?.attributes).toMatchObject({
        'http.request.method': 'GET',
        'url.full': served.url,
        'server.address': '127.0.0.1',
        'server.port': Number(new URL(served.url).port),
        'http.response.status_code': 206,
      });
    }
    // It sent traceparent, as undici's instrumentation does: the file server saw it on every read.
    const ranged = served.source.requests.filter((request) => request.range);
    expect(ranged).toHaveLength(PARTS);
    for (const request of ranged) expect(request.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);

    // No secret in any span, attribute, event or link: not the header value, the signed query, the
    // API key, the sealing key or a Redis command's arguments (the sealed request is in the job).
    const everything = receiver.bodies().join('\n');
    for (const secret of [
      HEADER_VALUE,
      'hdr-secret',
      SIGNATURE,
      'cred-secret',
      'X-Amz-Signature',
      API_KEY,
      harness.env().FERRY_SECRET_KEY,
    ]) {
      expect(everything).not.toContain(secret);
    }
    noQueryIn(receiver.spans());
    const redis = trace.filter((span) => span.attributes['db.system.name'] === 'redis');
    expect(redis.length).toBeGreaterThan(0);
    for (const span of redis) expect(span.attributes['db.query.text']).toBe(span.name);
  });

  it('records provider calls (undici) without their token, and Dropbox parts like any other', async () => {
    const bytes = randomBytes(9 * 1024 * 1024);
    await dropbox.addFile('/traced/report.bin', bytes);
    const token = dropbox.issueAccessToken();
    const id = await importThroughApi({
      source: { type: 'dropbox', path: '/traced/report.bin', credentials: { accessToken: token } },
      destination: { bucket: harness.bucket, key: 'dropbox.bin' },
    });
    const trace = await traceOf(id);
    const attempt = only(trace, (span) => span.name === 'ferry.import');
    expect(attempt.attributes).toMatchObject({
      'ferry.source.type': 'dropbox',
      'ferry.outcome': 'completed',
    });
    expect(trace.some((span) => span.name === 'ferry.import.submit' && span.service === 'ferry-api')).toBe(
      true,
    );
    // Dropbox parts are whole 4 MiB blocks: 8 MiB parts.
    expect(trace.filter((span) => span.name === 'ferry.part')).toHaveLength(2);
    // get_metadata went through undici: its instrumentation's client span, in the import's trace.
    const apiHost = new URL(dropbox.apiUrl);
    const calls = trace.filter(
      (span) => span.kind === 3 && span.attributes['server.port'] === Number(apiHost.port),
    );
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call.attributes['url.full']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/2\//);
    noQueryIn(receiver.spans());
    expect(receiver.bodies().join('\n')).not.toContain(token);
  });

  it('marks a failed import by its error code, and the source answer that failed it by its status', async () => {
    const submitted = await api.call(API_KEY, 'POST', '/v1/imports', {
      source: { type: 'http', url: `${served.source.url}/missing.bin?${SIGNED_QUERY}` },
      destination: { bucket: harness.bucket, key: 'never.bin' },
    });
    const id = (submitted.body as { id: string }).id;
    expect((await harness.waitForStatus(id, ['completed', 'failed'])).error?.code).toBe('SOURCE_NOT_FOUND');
    const trace = await traceOf(id);
    const attempt = only(trace, (span) => span.name === 'ferry.import');
    expect(attempt).toMatchObject({
      attributes: { 'ferry.outcome': 'failed', 'error.type': 'SOURCE_NOT_FOUND' },
      status: { code: 2, message: 'SOURCE_NOT_FOUND' },
    });
    const metadata = only(trace, (span) => span.name === 'ferry.metadata');
    expect(metadata).toMatchObject({
      parentSpanId: attempt.spanId,
      attributes: { 'error.type': 'SOURCE_NOT_FOUND' },
    });
    // The HTTP client span: the host's fleet limiter is asked first (a Redis client span beside it).
    const probe = only(
      trace,
      (span) =>
        span.kind === 3 &&
        span.parentSpanId === metadata.spanId &&
        span.attributes['http.request.method'] !== undefined,
    );
    expect(probe.attributes).toMatchObject({
      'http.request.method': 'HEAD',
      'url.full': `${served.source.url}/missing.bin`,
      'http.response.status_code': 404,
      'error.type': '404',
    });
    expect(probe.status.code).toBe(2);
    noQueryIn(trace);
    expect(receiver.bodies().join('\n')).not.toContain(SIGNATURE);
  });
});

/** No span from any instrumentation recorded a query string. */
function noQueryIn(spans: ReceivedSpan[]): void {
  for (const span of spans) {
    const { attributes } = span;
    if (attributes['url.full'] !== undefined) expect(String(attributes['url.full'])).not.toMatch(/[?#@]/);
    if (attributes['url.path'] !== undefined) expect(String(attributes['url.path'])).not.toContain('?');
    expect(attributes['url.query'] ?? '').toBe('');
  }
}

function only(spans: ReceivedSpan[], match: (span: ReceivedSpan) => boolean): ReceivedSpan {
  const found = spans.filter(match);
  expect(found, found.map((span) => `${span.service}/${span.name}`).join(', ')).toHaveLength(1);
  return found[0] as ReceivedSpan;
}
