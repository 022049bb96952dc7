import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Upload } from '@aws-sdk/lib-storage';
import { createLogger } from '@ferry/shared';
import { createTestBucket, objectSha256, testS3Endpoint } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { type S3FaultProxy, startS3FaultProxy } from './testing/s3-fault-proxy.ts';
import { ACCESS_DENIED, type StsStandIn, startStsStandIn } from './testing/sts-stand-in.ts';

const MIB = 1024 * 1024;
const ROLE_ARN = 'arn:aws:iam::123456789012:role/ferry-reader';
const REFUSING_ROLE_ARN = 'arn:aws:iam::123456789012:role/trusts-someone-else';
const EXTERNAL_ID = 'tenant-7f3a:ext@Q9x';

describe('S3 source read as an assumed role (STS stand-in, real S3 server behind a recording proxy)', () => {
  let harness: Harness;
  let sts: StsStandIn;
  let proxy: S3FaultProxy;
  let sourceBucket: string;
  const body = randomBytes(12 * MIB + 5);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const logs: string[] = [];

  beforeAll(async () => {
    harness = await Harness.create();
    sourceBucket = await createTestBucket(harness.s3, 'role-src');
    // The test S3 server takes at most 11 MiB per request: write the source in parts too.
    await new Upload({
      client: harness.s3,
      params: { Bucket: sourceBucket, Key: 'shared/object.bin', Body: body },
      partSize: 5 * MIB,
    }).done();
    sts = await startStsStandIn({
      fault: (call) => (call.roleArn === REFUSING_ROLE_ARN ? ACCESS_DENIED : null),
    });
    proxy = await startS3FaultProxy({ upstream: testS3Endpoint() });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    });
    await harness.startWorker(
      { S3_ENDPOINT: proxy.url, STS_ENDPOINT: sts.url, PART_SIZE_MIB: '5' },
      { logger: createLogger('worker', 'debug', sink) },
    );
  });

  afterAll(async () => {
    await harness?.close();
    await proxy?.close();
    await sts?.close();
  });

  it('reads the object as the role and streams its parts through UploadPart, byte-identical', async () => {
    const id = await harness.submit(
      {
        type: 's3',
        bucket: sourceBucket,
        key: 'shared/object.bin',
        roleArn: ROLE_ARN,
        externalId: EXTERNAL_ID,
      },
      'as-role/object.bin',
    );
    const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
    expect(record.error).toBeUndefined();
    // Parts that went through the worker carry the CRC-32 of the bytes read; copies would not here.
    expect(record.result).toMatchObject({
      size: body.length,
      partCount: 3,
      checksum: expect.stringMatching(/^crc32:/),
    });
    expect(await objectSha256(harness.s3, harness.bucket, 'as-role/object.bin')).toEqual({
      sha256,
      size: body.length,
    });

    expect(sts.calls).toEqual([
      { roleArn: ROLE_ARN, externalId: EXTERNAL_ID, roleSessionName: `ferry-${id}`, durationSeconds: 3600 },
    ]);
    const role = sts.issued[0]?.accessKeyId;
    const reads = proxy.requests.filter((r) => r.bucket === sourceBucket);
    const writes = proxy.requests.filter((r) => r.bucket === harness.bucket);
    // Every read of the source is signed with the role's temporary key, every write with the worker's.
    expect(reads.filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(3);
    expect(new Set(reads.map((r) => r.accessKeyId))).toEqual(new Set([role]));
    expect(writes.some((r) => r.accessKeyId === role)).toBe(false);
    expect(writes.filter((r) => r.operation === 'UploadPartCopy')).toEqual([]);
    const parts = new Set(writes.filter((r) => r.operation === 'UploadPart').map((r) => r.partNumber));
    expect(parts).toEqual(new Set([1, 2, 3]));

    // The externalId is sealed in the record and absent from the job, and a GET shows only that it was given.
    const job = await harness.redis.hgetall(`bull:${harness.queueName}:${id}`);
    expect(job.data).not.toContain(EXTERNAL_ID);
    expect(JSON.stringify(record)).not.toContain(EXTERNAL_ID);
  });

  it('fails a refused AssumeRole on attempt 1 with SOURCE_ACCESS_DENIED, leaving no upload open', async () => {
    const before = proxy.requests.length;
    const id = await harness.submit(
      {
        type: 's3',
        bucket: sourceBucket,
        key: 'shared/object.bin',
        roleArn: REFUSING_ROLE_ARN,
        externalId: EXTERNAL_ID,
      },
      'refused.bin',
    );
    const record = await harness.waitForStatus(id, ['completed', 'failed'], 30_000);
    expect(record).toMatchObject({ status: 'failed', attempts: 1 });
    expect(record.error?.code).toBe('SOURCE_ACCESS_DENIED');
    expect(record.error?.message).toContain(REFUSING_ROLE_ARN);
    expect(record.error?.message).not.toContain(EXTERNAL_ID);
    expect(sts.calls.at(-1)).toMatchObject({ roleArn: REFUSING_ROLE_ARN, roleSessionName: `ferry-${id}` });
    // Nothing reached S3 for it: no read of the source, no upload made.
    const since = proxy.requests.slice(before);
    expect(since.filter((r) => r.bucket === sourceBucket)).toEqual([]);
    expect(since.filter((r) => r.operation === 'CreateMultipartUpload')).toEqual([]);
    expect(await harness.openUploads()).toEqual([]);
  });

  it('never logs the externalId or the temporary credentials', () => {
    expect(logs.length).toBeGreaterThan(0);
    const text = logs.join('');
    // The refusal was logged, naming the role.
    expect(text).toContain(REFUSING_ROLE_ARN);
    expect(text).not.toContain(EXTERNAL_ID);
    expect(sts.issued.length).toBeGreaterThan(0);
    for (const issued of sts.issued) {
      expect(text).not.toContain(issued.secretAccessKey);
      expect(text).not.toContain(issued.sessionToken);
    }
  });
});
