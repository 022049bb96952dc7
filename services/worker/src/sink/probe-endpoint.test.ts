import { CreateBucketCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { LOCAL_S3_CREDENTIALS } from '@ferry/local-stack';
import { createLogger, createS3Client } from '@ferry/shared';
import {
  createTestBucket,
  defaultBackend,
  newS3Client,
  openMultipartUploads,
  type S3TestBackend,
  s3Backends,
  testS3Endpoint,
  uniqueName,
} from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransferError } from '../errors/transfer-error.ts';
import { type NullSinkProcess, startNullSink } from '../testing/null-sink-process.ts';
import { INTERNAL_ERROR, startS3FaultProxy } from '../testing/s3-fault-proxy.ts';
import { chooseProfile } from './checksum-mode.ts';
import { PROBE_PREFIX, probeEndpoint } from './probe-endpoint.ts';
import { S3Sink } from './s3-sink.ts';

const logger = createLogger('worker', 'silent');
const signal = new AbortController().signal;

function workerClient(endpoint: string): S3Client {
  return createS3Client(
    {
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: true,
      AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    },
    logger,
  );
}

describe('probeEndpoint', () => {
  const admin = newS3Client();
  const clients: S3Client[] = [];
  let bucket: string;
  let nullSink: NullSinkProcess;

  beforeAll(async () => {
    bucket = await createTestBucket(admin, 'probe');
    nullSink = await startNullSink();
  });

  afterAll(() => {
    for (const client of [admin, ...clients]) client.destroy();
    nullSink?.close();
  });

  const client = (endpoint: string) => {
    const made = workerClient(endpoint);
    clients.push(made);
    return made;
  };

  it('finds that the local S3 server decodes but does not check trailers and answers MD5 ETags: etag mode', async () => {
    const found = await probeEndpoint(client(testS3Endpoint()), bucket, logger);
    expect(found).toMatchObject({
      decodesTrailer: true,
      verifiesTrailer: false,
      md5Etags: true,
      conditionalWrites: false,
      conditionalCompletes: false,
    });
    expect(chooseProfile(found).mode).toBe('etag');
    // Nothing of the probe stays: its uploads are aborted and its object deleted.
    expect(await openMultipartUploads(defaultBackend(), bucket)).toEqual([]);
    const listed = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: PROBE_PREFIX }));
    expect(listed.KeyCount ?? 0).toBe(0);
  });

  const radosgw = s3Backends().find((backend) => backend.name === 'radosgw');
  it.runIf(radosgw)(
    'finds that Ceph RGW 16 refuses trailers but checks signed chunks: signed mode',
    async () => {
      const backend = radosgw as S3TestBackend;
      const s3 = createS3Client(
        {
          S3_ENDPOINT: backend.endpoint,
          S3_REGION: 'us-east-1',
          S3_FORCE_PATH_STYLE: true,
          AWS_ACCESS_KEY_ID: backend.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: backend.credentials.secretAccessKey,
        },
        logger,
      );
      clients.push(s3);
      const rgwBucket = await createTestBucket(s3, 'probe');
      const found = await probeEndpoint(s3, rgwBucket, logger);
      expect(found).toEqual({
        crc32Uploads: true,
        decodesTrailer: false,
        verifiesTrailer: false,
        verifiesChunkSignatures: true,
        md5Etags: true,
        verifiesContentMd5: true,
        verifiesCrc32Header: false,
        listParts: true,
        conditionalWrites: true,
        // RGW 16 takes If-None-Match on PutObject only: a Complete to a taken key replaces it.
        conditionalCompletes: false,
      });
      expect(chooseProfile(found).mode).toBe('signed');
      expect(await openMultipartUploads(backend, rgwBucket)).toEqual([]);
    },
  );

  it('finds that a server checking CRC-32 trailers as AWS does (the bench sink) takes the trailer mode', async () => {
    const s3 = client(nullSink.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: 'probe' }));
    const found = await probeEndpoint(s3, 'probe', logger);
    expect(found).toMatchObject({
      crc32Uploads: true,
      decodesTrailer: true,
      verifiesTrailer: true,
      conditionalWrites: true,
      conditionalCompletes: true,
    });
    expect(chooseProfile(found).mode).toBe('trailer');
    expect(await nullSink.stats()).toMatchObject({ openUploads: 0, objects: 0 });
  });

  it('fails as a transient destination error when S3 cannot answer, and the sink probes again next time', async () => {
    let failing = true;
    const proxy = await startS3FaultProxy({
      upstream: testS3Endpoint(),
      probes: true,
      fault: (request) => (failing && request.operation === 'UploadPart' ? INTERNAL_ERROR : null),
    });
    try {
      const s3 = client(proxy.url);
      const sink = new S3Sink(s3, { mode: 'auto', endpoint: proxy.url, logger });
      const failure = await sink.profile(bucket, signal).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(TransferError);
      expect(failure).toMatchObject({ code: 'DESTINATION_ERROR', retryable: true });
      failing = false;
      expect(await sink.profile(bucket, signal)).toMatchObject({ mode: 'etag' });
      expect(await openMultipartUploads(defaultBackend(), bucket)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('probes nothing for a mode the operator set', async () => {
    const proxy = await startS3FaultProxy({ upstream: testS3Endpoint(), probes: true });
    try {
      const sink = new S3Sink(client(proxy.url), { mode: 'header', endpoint: proxy.url, logger });
      expect(await sink.profile(uniqueName('no-such-bucket'), signal)).toMatchObject({
        mode: 'header',
        capabilities: null,
      });
      expect(proxy.requests).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});
