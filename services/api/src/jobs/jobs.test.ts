import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type JobRecord, JobStore, jobImportId } from '@ferry/shared';
import { createTestBucket, newS3Client } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_ADDRESS, resolveTo, startTestApi, type TestApi, type Who } from '../testing/api-harness.ts';
import { FINISHED_SIZE, type ImportFinisher, startImportFinisher } from '../testing/import-finisher.ts';
import { REPORT_COLUMNS } from './job-report.ts';

const ROWS = 100_000;
const WINDOW = 1000;

let s3: S3Client;
let bucket: string;
/** Where tests keep the S3 manifests jobs name (never the jobs bucket). */
let manifests: string;
const apis: TestApi[] = [];
const finishers: ImportFinisher[] = [];

beforeAll(async () => {
  s3 = newS3Client();
  bucket = await createTestBucket(s3, 'ferry-jobs');
  manifests = await createTestBucket(s3, 'ferry-manifests');
});

afterAll(async () => {
  for (const finisher of finishers) await finisher.close();
  for (const api of apis) await api.close();
  s3?.destroy();
});

async function startApi(env: Record<string, string> = {}, resolveAll = resolveTo(PUBLIC_ADDRESS)) {
  const api = await startTestApi({
    env: {
      JOBS_BUCKET: bucket,
      JOB_MANIFEST_BUCKETS: manifests,
      JOB_POLL_MS: '20',
      JOB_WINDOW: String(WINDOW),
      ...env,
    },
    resolveAll,
  });
  apis.push(api);
  return api;
}

const jobsOf = (api: TestApi) => new JobStore(api.redis, api.config.FERRY_QUEUE);

async function waitForJob(
  api: TestApi,
  id: string,
  statuses: string[],
  timeout = 60_000,
): Promise<JobRecord> {
  await expect
    .poll(async () => (await jobsOf(api).get(id))?.status, { timeout, interval: 100 })
    .toSatisfy((status: string | undefined) => status !== undefined && statuses.includes(status));
  return (await jobsOf(api).get(id)) as JobRecord;
}

async function reportLines(job: JobRecord): Promise<string[]> {
  const answer = await s3.send(
    new GetObjectCommand({ Bucket: job.spec.report.bucket, Key: job.spec.report.key }),
  );
  return (await answer.Body?.transformToString())?.trimEnd().split('\n') ?? [];
}

function upload(
  api: TestApi,
  who: Who,
  body: Readable | string,
  contentType: string,
  query: Record<string, string>,
) {
  return api.call(who, {
    method: 'POST',
    url: '/v1/jobs',
    query,
    headers: { 'content-type': contentType },
    payload: body,
  });
}

/** Row n's URL; every 1000th row (from the 7th) names a file the finisher fails. */
const rowUrl = (n: number): string => `https://files.example.com/f/${n % 1000 === 7 ? 'fail-' : ''}${n}.bin`;

describe('a 100,000-row CSV manifest, uploaded, with an expander that dies mid-expansion', () => {
  it('makes every row one import, once, within the window, and reports every row', async () => {
    // The first API writes its window's records and dies before it moves the cursor, every time.
    const dying = await startApi({ FERRY_FAILPOINTS: 'job.after-window-records=throw' });
    const jobs = jobsOf(dying);
    const finisher = startImportFinisher(dying.config.FERRY_QUEUE);
    finishers.push(finisher);

    async function* csv(): AsyncGenerator<Buffer> {
      yield Buffer.from('url\n');
      for (let n = 1; n <= ROWS; n += 1000) {
        let chunk = '';
        for (let i = n; i < n + 1000; i++) chunk += `${rowUrl(i)}\n`;
        yield Buffer.from(chunk);
      }
    }
    const answer = await upload(dying, 'a', Readable.from(csv()), 'text/csv', {
      bucket: 'ferry-dest',
      keyTemplate: 'out/{path}',
    });
    expect(answer.statusCode).toBe(202);
    const { id } = answer.json<{ id: string }>();

    // The first window's imports were made (and run), the cursor never moved past them.
    await expect
      .poll(async () => (await jobs.existingImports([jobImportId(id, 1), jobImportId(id, WINDOW)])).size)
      .toBe(2);
    await expect.poll(() => finisher.finished, { timeout: 30_000 }).toBeGreaterThanOrEqual(WINDOW);
    expect((await jobs.get(id))?.cursor).toMatchObject({ rows: 0 });
    expect((await jobs.existingImports([jobImportId(id, WINDOW + 1)])).size).toBe(0);
    apis.splice(apis.indexOf(dying), 1);
    await dying.close({ handOver: true });

    // The next API resumes at the window the first one died in.
    const api = await startApi({ FERRY_QUEUE: dying.config.FERRY_QUEUE });
    let maxOpen = 0;
    const sampler = setInterval(() => {
      void jobsOf(api)
        .openCount(id)
        .then((open) => {
          maxOpen = Math.max(maxOpen, open);
        })
        .catch(() => {});
    }, 5);
    let job: JobRecord;
    try {
      job = await waitForJob(api, id, ['completed'], 240_000);
    } finally {
      clearInterval(sampler);
    }

    const failing = Math.floor(ROWS / 1000);
    expect(job.rowsTotal).toBe(ROWS);
    expect(job.files).toEqual({ done: ROWS - failing, failed: failing, skipped: 0 });
    expect(job.bytes.done).toBe((ROWS - failing) * FINISHED_SIZE);
    expect(finisher.finished).toBe(ROWS);
    expect(await jobsOf(api).openCount(id)).toBe(0);
    expect(maxOpen).toBeLessThanOrEqual(WINDOW);
    expect(await api.queue.count()).toBe(0);
    expect(await api.queue.getActiveCount()).toBe(0);

    const view = (await api.call('a', { method: 'GET', url: `/v1/jobs/${id}` })).json();
    expect(view).toMatchObject({
      id,
      status: 'completed',
      progress: { rowsExpanded: ROWS, rowsTotal: ROWS, files: job.files },
      report: job.spec.report,
    });

    const lines = await reportLines(job);
    expect(lines).toHaveLength(ROWS + 1);
    expect(lines[0]).toBe(REPORT_COLUMNS.join(','));
    for (let n = 1; n <= ROWS; n++) {
      const path = new URL(rowUrl(n)).pathname.slice(1);
      const expected =
        n % 1000 === 7
          ? `${n},${rowUrl(n)},s3://ferry-dest/out/${path},,,failed,SOURCE_NOT_FOUND`
          : `${n},${rowUrl(n)},s3://ferry-dest/out/${path},${FINISHED_SIZE},crc32:00000000,done,`;
      if (lines[n] !== expected) expect(lines[n]).toBe(expected);
    }
  }, 300_000);
});

describe('job requests', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ SOURCE_ALLOW_PRIVATE: '0' }, async (host) => [
      { address: host === 'internal.example' ? '10.0.0.8' : PUBLIC_ADDRESS, family: 4 },
    ]);
    finishers.push(startImportFinisher(api.config.FERRY_QUEUE));
  });

  const post = (payload: object, who: Who = 'a') =>
    api.call(who, { method: 'POST', url: '/v1/jobs', payload });
  const row = (url: string, key: string) => ({
    source: { type: 'http', url },
    destination: { bucket: 'ferry-dest', key },
  });

  it('is in the OpenAPI document, uploads included', async () => {
    const doc = (await api.call(null, { method: 'GET', url: '/docs/json' })).json();
    expect(
      Object.keys(doc.paths)
        .filter((path: string) => path.startsWith('/v1/jobs'))
        .sort(),
    ).toEqual(['/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/cancel', '/v1/jobs/{id}/report']);
    const create = doc.paths['/v1/jobs'].post;
    expect(Object.keys(create.requestBody.content).sort()).toEqual([
      'application/json',
      'application/x-ndjson',
      'text/csv',
      'text/tab-separated-values',
    ]);
    expect(create.security).toEqual([{ bearerAuth: [] }]);
  });

  it('refuses a bad row by its number, and a bad header, before any job exists', async () => {
    const csv =
      'url,bucket,key\nhttps://h.example/1,ferry-dest,a\nhttps://h.example/2,ferry-dest,b\nhttps://h.example/3?sig=s3cret,Bad_Bucket,c\n';
    const bad = await upload(api, 'a', csv, 'text/csv', {});
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/^row 3: destination\.bucket: bucket name/),
      details: [{ field: 'row 3' }],
    });
    expect(bad.body).not.toContain('s3cret');

    const header = await upload(api, 'a', 'link,bucket,key\nx,y,z\n', 'text/csv', {});
    expect(header.statusCode).toBe(400);
    expect(header.json().error.message).toMatch(/^header: column "link"/);

    const inline = await post({
      manifest: { rows: [row('https://h.example/a', 'a'), row('https://h.example/b', '')] },
    });
    expect(inline.statusCode).toBe(400);
    expect(inline.json().error.message).toMatch(/^row 2: destination\.key: /);

    const both = await post({
      manifest: { rows: [row('https://h.example/a', 'a')], s3: { bucket, key: 'm' } },
    });
    expect(both.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'manifest: must hold either rows or s3',
    });

    const template = await upload(api, 'a', 'url\nhttps://h.example/a\n', 'text/csv', {
      bucket: 'ferry-dest',
      keyTemplate: 'x/{name}',
    });
    expect(template.json().error.message).toMatch(/^keyTemplate: \{name\} is not one of/);

    const missing = await post({
      manifest: { s3: { bucket: manifests, key: 'no-such-manifest.csv' }, format: 'csv' },
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.code).toBe('MANIFEST_UNREADABLE');

    const jobsBucket = await post({
      manifest: { s3: { bucket, key: 'jobs/x/manifest.csv' }, format: 'csv' },
    });
    expect(jobsBucket.json().error.message).toBe('manifest.s3.bucket: must not be the jobs bucket');

    // The API reads an S3 manifest with its own credentials: only from the buckets the operator named.
    const elsewhere = await post({
      manifest: { s3: { bucket: 'someone-elses', key: 'm.csv' }, format: 'csv' },
    });
    expect(elsewhere.statusCode).toBe(400);
    expect(elsewhere.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'manifest.s3.bucket: is not one of JOB_MANIFEST_BUCKETS',
    });

    const list = await api.call('a', { method: 'GET', url: '/v1/jobs' });
    expect(list.json()).toEqual({ items: [], nextCursor: null });
  });

  it('fails a row whose source address is refused at expansion, and runs the rest', async () => {
    const answer = await post({
      manifest: {
        rows: [
          row('https://h.example/1', 'r/1'),
          row('https://internal.example/2', 'r/2'),
          row('https://h.example/3', 'r/3'),
        ],
      },
    });
    expect(answer.statusCode).toBe(202);
    const { id } = answer.json();
    const job = await waitForJob(api, id, ['completed']);
    expect(job.files).toEqual({ done: 2, failed: 1, skipped: 0 });
    expect((await reportLines(job)).slice(1)).toEqual([
      `1,https://h.example/1,s3://ferry-dest/r/1,${FINISHED_SIZE},crc32:00000000,done,`,
      '2,https://internal.example/2,s3://ferry-dest/r/2,,,failed,SOURCE_ADDRESS_REFUSED',
      `3,https://h.example/3,s3://ferry-dest/r/3,${FINISHED_SIZE},crc32:00000000,done,`,
    ]);
    const download = await api.call('a', { method: 'GET', url: `/v1/jobs/${id}/report` });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(download.body.trimEnd().split('\n')).toEqual(await reportLines(job));
    expect((await api.call('b', { method: 'GET', url: `/v1/jobs/${id}/report` })).statusCode).toBe(404);
    // Another tenant sees no such job.
    expect((await api.call('b', { method: 'GET', url: `/v1/jobs/${id}` })).statusCode).toBe(404);
    const list = await api.call('a', { method: 'GET', url: '/v1/jobs' });
    expect(list.json().items.map((item: { id: string }) => item.id)).toEqual([id]);
  });

  it('announces the finished job through the outbox when it has a notify URL', async () => {
    const answer = await post({
      manifest: { rows: [row('https://h.example/n', 'n/1')] },
      notify: { url: 'https://hooks.example.com/jobs?token=s3cret' },
    });
    const { id } = answer.json();
    await waitForJob(api, id, ['completed']);
    const keys = api.store.keys;
    expect(await api.redis.zscore(keys.outbox('webhook'), id)).not.toBeNull();
    expect(await api.redis.hget(keys.outboxEntry('webhook', id), 'type')).toBe('job.completed');
    const view = (await api.call('a', { method: 'GET', url: `/v1/jobs/${id}` })).json();
    expect(view.notify).toEqual({ url: 'https://hooks.example.com/jobs', status: 'pending', attempts: 0 });
  });
});

describe('cancel of a job', () => {
  it('stops expansion and the open imports; every row is reported, as skipped', async () => {
    const api = await startApi({ JOB_WINDOW: '100' });
    const total = 300;
    const manifestKey = `manifests/${api.config.FERRY_QUEUE}.ndjson`;
    const body = Array.from({ length: total }, (_, i) =>
      JSON.stringify({
        source: { type: 'http', url: `https://h.example/${i + 1}` },
        destination: { bucket: 'ferry-dest' },
      }),
    ).join('\n');
    await s3.send(new PutObjectCommand({ Bucket: manifests, Key: manifestKey, Body: body }));
    const answer = await api.call('a', {
      method: 'POST',
      url: '/v1/jobs',
      payload: {
        manifest: { s3: { bucket: manifests, key: manifestKey }, format: 'ndjson' },
        keyTemplate: 'c/{row}',
      },
    });
    expect(answer.statusCode).toBe(202);
    const { id } = answer.json();
    const jobs = jobsOf(api);
    // No workers: the first window stays open.
    await expect.poll(() => jobs.openCount(id)).toBe(100);
    expect((await api.call('b', { method: 'POST', url: `/v1/jobs/${id}/cancel` })).statusCode).toBe(404);

    const canceled = await api.call('a', { method: 'POST', url: `/v1/jobs/${id}/cancel` });
    expect(canceled.statusCode).toBe(202);
    const job = await waitForJob(api, id, ['canceled']);
    expect(job.files).toEqual({ done: 0, failed: 0, skipped: total });
    expect(job.rowsTotal).toBe(total);
    expect(await api.queue.count()).toBe(0);
    const lines = (await reportLines(job)).slice(1);
    expect(lines).toHaveLength(total);
    expect(lines[0]).toBe('1,https://h.example/1,s3://ferry-dest/c/1,,,skipped,CANCELED');
    expect(lines[total - 1]).toBe(
      `${total},https://h.example/${total},s3://ferry-dest/c/${total},,,skipped,CANCELED`,
    );
    expect((await api.call('a', { method: 'POST', url: `/v1/jobs/${id}/cancel` })).statusCode).toBe(200);
  });
});

describe('Idempotency-Key on job creates', () => {
  let api: TestApi;
  /** This API's own: every manifest copy in it is of one of its requests. */
  let jobsBucket: string;
  beforeAll(async () => {
    jobsBucket = await createTestBucket(s3, 'ferry-jobs-idem');
    api = await startApi({ JOBS_BUCKET: jobsBucket });
  });

  const create = (key: string, payload: object, who: Who = 'a') =>
    api.call(who, { method: 'POST', url: '/v1/jobs', headers: { 'idempotency-key': key }, payload });
  const createUpload = (key: string, csv: string, query: Record<string, string> = {}) =>
    api.call('a', {
      method: 'POST',
      url: '/v1/jobs',
      query: { bucket: 'ferry-dest', keyTemplate: 'idem/{row}', ...query },
      headers: { 'idempotency-key': key, 'content-type': 'text/csv' },
      payload: csv,
    });
  const inline = (url: string) => ({
    manifest: { rows: [{ source: { type: 'http', url }, destination: { bucket: 'ferry-dest', key: 'k' } }] },
  });
  const jobIds = async (who: Who) =>
    (await api.call(who, { method: 'GET', url: '/v1/jobs' }))
      .json<{ items: { id: string }[] }>()
      .items.map((item) => item.id);

  it('answers a retried JSON create with the first job (200), and another body with 409', async () => {
    const first = await create('json-1', inline('https://h.example/1'));
    expect(first.statusCode).toBe(202);
    const { id } = first.json();
    const again = await create('json-1', inline('https://h.example/1'));
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ id, status: expect.stringMatching(/^(running|completed)$/) });

    const other = await create('json-1', inline('https://h.example/2'));
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe('IDEMPOTENCY_CONFLICT');
    // Keys are a tenant's own.
    const elsewhere = await create('json-1', inline('https://h.example/1'), 'b');
    expect(elsewhere.statusCode).toBe(202);
    expect(elsewhere.json().id).not.toBe(id);
    expect(await jobIds('a')).toEqual([id]);
  });

  it('takes an upload as the same request only with the same options and bytes', async () => {
    const csv = 'url\nhttps://h.example/u1\nhttps://h.example/u2\n';
    const first = await createUpload('upload-1', csv);
    expect(first.statusCode).toBe(202);
    const { id } = first.json();
    const again = await createUpload('upload-1', csv);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(id);
    expect((await createUpload('upload-1', `${csv}https://h.example/u3\n`)).statusCode).toBe(409);
    expect((await createUpload('upload-1', csv, { keyTemplate: 'idem2/{row}' })).statusCode).toBe(409);
    // A refused upload leaves the key as it was.
    const refused = await createUpload('upload-2', 'url\nftp://h.example/x\n');
    expect(refused.statusCode).toBe(400);
    expect((await createUpload('upload-2', csv)).statusCode).toBe(202);
  });

  it('starts one job for concurrent retries, and leaves no manifest copy without a job', async () => {
    const csv = Array.from({ length: 500 }, (_, i) => `https://h.example/c/${i}`).join('\n');
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => createUpload('concurrent-1', `url\n${csv}\n`)),
    );
    const ids = new Set(
      answers.filter((answer) => answer.statusCode !== 409).map((answer) => answer.json<{ id: string }>().id),
    );
    expect(ids.size).toBe(1);
    expect(answers.filter((answer) => answer.statusCode === 202)).toHaveLength(1);
    for (const answer of answers.filter((a) => a.statusCode === 409)) {
      expect(answer.json().error.code).toBe('IDEMPOTENCY_CONFLICT');
    }

    // Every copy made by a request that was not the key's first (or was refused) is gone.
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: jobsBucket, Prefix: 'jobs/' }));
    const manifestJobs = (listed.Contents ?? [])
      .map((object) => object.Key ?? '')
      .filter((key) => /\/manifest\.\w+$/.test(key))
      .map((key) => key.split('/')[1] as string);
    expect(manifestJobs).toContain([...ids][0]);
    for (const jobId of manifestJobs) expect(await jobsOf(api).get(jobId), jobId).not.toBeNull();
  });

  it('refuses a malformed key by name', async () => {
    const bad = await create('x'.repeat(256), inline('https://h.example/1'));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/^idempotency-key: /);
  });
});

describe('rows with overwrite policies and expected checksums', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi();
    finishers.push(startImportFinisher(api.config.FERRY_QUEUE));
  });

  const md5Hex = '9e107d9d372bb6826bd81d3542a419d6';
  const md5Base64 = Buffer.from(md5Hex, 'hex').toString('base64');
  const requestOf = async (id: string, row: number) => (await api.store.get(jobImportId(id, row)))?.request;

  it("carries CSV columns and the job's default policy into each import", async () => {
    const csv = [
      'url,key,overwrite,size,md5,crc32c',
      `https://h.example/1,r/1,,1024,${md5Hex},`,
      'https://h.example/2,r/2,always,,,414fa339',
      'https://h.example/3,r/3,,,,',
    ].join('\n');
    const answer = await upload(api, 'a', csv, 'text/csv', {
      bucket: 'ferry-dest',
      overwrite: 'if-different',
    });
    expect(answer.statusCode).toBe(202);
    const { id } = answer.json();
    await waitForJob(api, id, ['completed']);
    expect(await requestOf(id, 1)).toEqual({
      source: { type: 'http', url: 'https://h.example/1', expected: { size: 1024, md5: md5Hex } },
      destination: { bucket: 'ferry-dest', key: 'r/1' },
      overwrite: 'if-different',
    });
    expect(await requestOf(id, 2)).toMatchObject({
      source: { expected: { crc32c: '414fa339' } },
      overwrite: 'always',
    });
    expect(await requestOf(id, 3)).toEqual({
      source: { type: 'http', url: 'https://h.example/3' },
      destination: { bucket: 'ferry-dest', key: 'r/3' },
      overwrite: 'if-different',
    });
    const view = (await api.call('a', { method: 'GET', url: `/v1/imports/${jobImportId(id, 1)}` })).json();
    expect(view).toMatchObject({
      overwrite: 'if-different',
      source: { expected: { size: 1024, md5: md5Hex } },
    });
  });

  it("reads GCS's TsvHttpData-1.0 URL list: size and base64 MD5 become expected", async () => {
    const tsv = `TsvHttpData-1.0\nhttps://h.example/g/a.bin\t1357\t${md5Base64}\nhttps://h.example/g/b.bin\n`;
    const answer = await upload(api, 'a', tsv, 'text/tab-separated-values', {
      bucket: 'ferry-dest',
      keyTemplate: 'gcs/{path}',
      overwrite: 'never',
    });
    expect(answer.statusCode).toBe(202);
    const { id } = answer.json();
    const job = await waitForJob(api, id, ['completed']);
    expect(job.rowsTotal).toBe(2);
    expect(await requestOf(id, 1)).toEqual({
      source: { type: 'http', url: 'https://h.example/g/a.bin', expected: { size: 1357, md5: md5Base64 } },
      destination: { bucket: 'ferry-dest', key: 'gcs/g/a.bin' },
      overwrite: 'never',
    });
    expect(await requestOf(id, 2)).toMatchObject({
      source: { url: 'https://h.example/g/b.bin' },
      overwrite: 'never',
    });

    const noTemplate = await upload(api, 'a', tsv, 'text/tab-separated-values', { bucket: 'ferry-dest' });
    expect(noTemplate.statusCode).toBe(400);
    expect(noTemplate.json().error.message).toBe(
      'header: a TsvHttpData-1.0 list has no key column and the job has no keyTemplate',
    );
  });

  it('refuses a bad policy or checksum naming the row and the field, before any job exists', async () => {
    const before = await jobsOf(api).list('a', { limit: 100 });
    const badRow = await upload(
      api,
      'a',
      'url,bucket,key,md5\nhttps://h.example/1,ferry-dest,k,\nhttps://h.example/2,ferry-dest,k,s3cret\n',
      'text/csv',
      {},
    );
    expect(badRow.statusCode).toBe(400);
    expect(badRow.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'row 2: source.expected.md5: must be 32 hex digits or the base64 of 16 bytes',
      details: [{ field: 'row 2' }],
    });
    expect(badRow.body).not.toContain('s3cret');

    const badPolicy = await upload(
      api,
      'a',
      'url,bucket,key,overwrite\nhttps://h.example/1,ferry-dest,k,maybe\n',
      'text/csv',
      {},
    );
    expect(badPolicy.json().error.message).toMatch(
      /^row 1: overwrite: must be one of "always", "never", "if-different"/,
    );

    const badDefault = await api.call('a', {
      method: 'POST',
      url: '/v1/jobs',
      payload: {
        manifest: {
          rows: [
            {
              source: { type: 'http', url: 'https://h.example/1' },
              destination: { bucket: 'ferry-dest', key: 'k' },
            },
          ],
        },
        overwrite: 'sometimes',
      },
    });
    expect(badDefault.statusCode).toBe(400);
    expect(badDefault.json().error.details).toEqual([
      { field: 'overwrite', message: expect.stringMatching(/^must be one of/) },
    ]);

    const badSize = await api.call('a', {
      method: 'POST',
      url: '/v1/jobs',
      payload: {
        manifest: {
          rows: [
            {
              source: { type: 'http', url: 'https://h.example/1', expected: { size: -1 } },
              destination: { bucket: 'ferry-dest', key: 'k' },
            },
          ],
        },
      },
    });
    expect(badSize.json().error.message).toMatch(/^row 1: source\.expected\.size: must not be negative/);
    expect((await jobsOf(api).list('a', { limit: 100 })).items).toHaveLength(before.items.length);
  });

  it('counts imports the overwrite policy left as skipped, and reports them so', async () => {
    const answer = await api.call('a', {
      method: 'POST',
      url: '/v1/jobs',
      payload: {
        manifest: {
          rows: ['kept/1', 'skip/2', 'fail/3', 'skip/4'].map((key, i) => ({
            source: { type: 'http', url: `https://h.example/s/${i + 1}` },
            destination: { bucket: 'ferry-dest', key },
          })),
        },
        overwrite: 'never',
      },
    });
    const { id } = answer.json();
    const job = await waitForJob(api, id, ['completed']);
    expect(job.files).toEqual({ done: 1, failed: 1, skipped: 2 });
    expect(job.bytes).toEqual({ done: FINISHED_SIZE, failed: 0, skipped: 2 * FINISHED_SIZE });
    expect(await reportLines(job)).toEqual([
      'row,source,destination,size,checksum,outcome,error_code',
      `1,https://h.example/s/1,s3://ferry-dest/kept/1,${FINISHED_SIZE},crc32:00000000,done,`,
      `2,https://h.example/s/2,s3://ferry-dest/skip/2,${FINISHED_SIZE},crc32:00000000,skipped,`,
      '3,https://h.example/s/3,s3://ferry-dest/fail/3,,,failed,SOURCE_NOT_FOUND',
      `4,https://h.example/s/4,s3://ferry-dest/skip/4,${FINISHED_SIZE},crc32:00000000,skipped,`,
    ]);
  });
});
