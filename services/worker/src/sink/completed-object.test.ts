import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { LOCAL_S3_CREDENTIALS } from '@ferry/local-stack';
import { createTestBucket, newS3Client, testS3Endpoint } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransferError } from '../errors/transfer-error.ts';
import { INTERNAL_ERROR, startS3FaultProxy } from '../testing/s3-fault-proxy.ts';
import { findCompletedUpload, multipartEtag } from './completed-object.ts';

const MIB = 1024 * 1024;
const signal = new AbortController().signal;

describe('multipartEtag', () => {
  it('is the MD5 of the parts’ binary MD5s and the part count, as S3 makes it', () => {
    // Two parts whose ETags are the MD5s of "a" and "b".
    // Two parts whose ETags are the MD5s of "a" and "b", quoted or not.
    expect(multipartEtag(['"0cc175b9c0f1b6a831c399e269772661"', '92eb5ffee6ae2fec3ad71c777531578f'])).toBe(
      '"96e024ba2074fe77e8e965ba43a704be-2"',
    );
  });

  it('is null when a part’s ETag is not an MD5', () => {
    expect(multipartEtag(['"0cc175b9c0f1b6a831c399e269772661"', '"size-5242880-crc-1a2b3c4d"'])).toBeNull();
  });
});

describe('findCompletedUpload (the real S3 server)', () => {
  const s3 = newS3Client();
  let bucket: string;
  const key = 'completed-earlier.bin';
  const body = randomBytes(2 * 5 * MIB + 1024);
  const parts = [body.subarray(0, 5 * MIB), body.subarray(5 * MIB, 10 * MIB), body.subarray(10 * MIB)];
  let partEtags: string[];
  let objectEtag: string | undefined;

  beforeAll(async () => {
    bucket = await createTestBucket(s3, 'completed-earlier');
    const created = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: 'CRC32' }),
    );
    const uploadId = created.UploadId ?? '';
    const uploaded = [];
    for (const [i, part] of parts.entries()) {
      const answer = await s3.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: i + 1,
          Body: part,
        }),
      );
      uploaded.push({ PartNumber: i + 1, ETag: answer.ETag ?? '' });
    }
    partEtags = uploaded.map((part) => part.ETag);
    const completed = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: uploaded },
      }),
    );
    objectEtag = completed.ETag;
  });

  afterAll(() => s3.destroy());

  const upload = (overrides: Partial<Parameters<typeof findCompletedUpload>[1]> = {}) => ({
    bucket,
    key,
    size: body.length,
    partEtags,
    crc32: crc32(body),
    ...overrides,
  });

  it('answers the ETag when the destination holds exactly the completion of these parts', async () => {
    expect(multipartEtag(partEtags)).toBe(objectEtag);
    expect(await findCompletedUpload(s3, upload(), signal)).toBe(objectEtag);
  });

  it('answers null for other parts, another size, or no object at all', async () => {
    expect(await findCompletedUpload(s3, upload({ partEtags: [...partEtags].reverse() }), signal)).toBeNull();
    expect(await findCompletedUpload(s3, upload({ size: body.length - 1 }), signal)).toBeNull();
    expect(await findCompletedUpload(s3, upload({ key: 'never-written.bin' }), signal)).toBeNull();
  });

  it('fails as a transient destination error when S3 cannot answer, rather than call the upload gone', async () => {
    const proxy = await startS3FaultProxy({
      upstream: testS3Endpoint(),
      fault: (request) => (request.method === 'HEAD' ? INTERNAL_ERROR : null),
    });
    const faulty = new S3Client({
      endpoint: proxy.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: LOCAL_S3_CREDENTIALS,
      maxAttempts: 1,
    });
    try {
      const failure = await findCompletedUpload(faulty, upload(), signal).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(TransferError);
      expect(failure).toMatchObject({ code: 'DESTINATION_ERROR', retryable: true });
    } finally {
      faulty.destroy();
      await proxy.close();
    }
  });
});
