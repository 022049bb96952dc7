import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Backends } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, spawnApiProcess } from './testing/api-process.ts';
import { Harness } from './testing/harness.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';

const KEY = 'ak_jobow_7c2d9e4f1a3b5c6d';
const TENANT = 'tenant-job-overwrite';
const FILE_BYTES = 4096;
const OLD = Buffer.from('the object the key held before the job');

/**
 * A job's rows with overwrite policies and expected checksums, run by a real worker against each S3
 * server of the suite: what the policy left is counted and reported as skipped, a checksum that
 * does not hold fails its row only.
 */
describe.for(s3Backends())(
  'a job with overwrite policies and expected checksums against $label',
  (backend) => {
    let harness: Harness;
    let served: ServedFile;
    let api: ApiProcess;

    beforeAll(async () => {
      harness = await Harness.create(backend);
      served = await startServedFile(FILE_BYTES);
      api = await spawnApiProcess(
        harness.env({ FERRY_API_KEYS: `${KEY}:${TENANT}`, JOBS_BUCKET: harness.bucket, JOB_POLL_MS: '50' }),
      );
      await harness.startWorker({ WORKER_CONCURRENCY: '4' });
    });

    afterAll(async () => {
      await api?.stop();
      await harness?.close();
      await served?.close();
    });

    const objectText = async (key: string) => {
      const got = await harness.s3.send(new GetObjectCommand({ Bucket: harness.bucket, Key: key }));
      return (await got.Body?.transformToString()) ?? '';
    };

    it('skips what never leaves, overwrites where a row says always, fails a wrong checksum', async () => {
      for (const key of ['ow/taken-1.bin', 'ow/taken-3.bin']) {
        await harness.s3.send(new PutObjectCommand({ Bucket: harness.bucket, Key: key, Body: OLD }));
      }
      const row = (n: number, key: string, extra: object = {}, expected?: object) => ({
        source: { type: 'http', url: `${served.url}?row=${n}`, ...(expected ? { expected } : {}) },
        destination: { bucket: harness.bucket, key },
        ...extra,
      });
      const rows = [
        row(1, 'ow/taken-1.bin'),
        row(2, 'ow/free-2.bin'),
        row(3, 'ow/taken-3.bin', { overwrite: 'always' }),
        row(4, 'ow/free-4.bin', {}, { sha256: '0'.repeat(64) }),
        row(5, 'ow/free-5.bin', {}, { size: FILE_BYTES, sha256: served.file.sha256 }),
      ];
      const created = await api.call(KEY, 'POST', '/v1/jobs', { manifest: { rows }, overwrite: 'never' });
      expect(created.status).toBe(202);
      const { id } = created.body as { id: string };

      await expect
        .poll(
          async () => ((await api.call(KEY, 'GET', `/v1/jobs/${id}`)).body as { status: string }).status,
          {
            timeout: 60_000,
            interval: 200,
          },
        )
        .toBe('completed');
      const view = (await api.call(KEY, 'GET', `/v1/jobs/${id}`)).body as {
        progress: { files: object; bytes: { done: number; skipped: number } };
      };
      expect(view.progress.files).toEqual({ done: 3, failed: 1, skipped: 1 });
      expect(view.progress.bytes).toMatchObject({ done: 3 * FILE_BYTES, skipped: OLD.length });

      expect(await objectText('ow/taken-1.bin')).toBe(OLD.toString());
      const replaced = await harness.s3.send(
        new HeadObjectCommand({ Bucket: harness.bucket, Key: 'ow/taken-3.bin' }),
      );
      expect(replaced.ContentLength).toBe(FILE_BYTES);

      const lines = (await objectText(`jobs/${id}/report.csv`)).trimEnd().split('\n');
      const dest = (key: string) => `s3://${harness.bucket}/${key}`;
      expect(lines[0]).toBe('row,source,destination,size,checksum,outcome,error_code');
      expect(lines[1]).toMatch(
        new RegExp(`^1,${served.url},${dest('ow/taken-1.bin')},${OLD.length},[^,]*,skipped,$`),
      );
      expect(lines[2]).toMatch(
        new RegExp(`^2,${served.url},${dest('ow/free-2.bin')},${FILE_BYTES},[^,]+,done,$`),
      );
      expect(lines[3]).toMatch(
        new RegExp(`^3,${served.url},${dest('ow/taken-3.bin')},${FILE_BYTES},[^,]+,done,$`),
      );
      expect(lines[4]).toBe(`4,${served.url},${dest('ow/free-4.bin')},,,failed,CHECKSUM_MISMATCH`);
      expect(lines[5]).toMatch(
        new RegExp(`^5,${served.url},${dest('ow/free-5.bin')},${FILE_BYTES},[^,]+,done,$`),
      );
      expect(lines).toHaveLength(6);
    });
  },
);
