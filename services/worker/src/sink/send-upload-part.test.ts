import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createTestBucket, newS3Client } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PartStream, readablePartStream } from '../bytes/part-stream.ts';
import { type NullSinkProcess, startNullSink } from '../testing/null-sink-process.ts';
import { crc32Base64, crc32FromBase64 } from './crc32-base64.ts';
import { PartBody } from './part-body.ts';
import { trailerWire } from './part-wire.ts';
import { type PartWire, sendUploadPart } from './send-upload-part.ts';

const signal = () => new AbortController().signal;

function clientFor(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    // The refused part is expected; the SDK would warn about it on the console.
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
}

function partBody(data: Buffer, tamper?: (body: PartBody) => void): PartBody {
  let body: PartBody | null = null;
  const source = readablePartStream(Readable.from([data.subarray(0, 70_000), data.subarray(70_000)]));
  // Lets a test change what the body believes before the trailer goes out.
  const tampered: PartStream = {
    ...source,
    start: (handlers) =>
      source.start({
        ...handlers,
        end: () => {
          if (body) tamper?.(body);
          handlers.end();
        },
      }),
  };
  body = new PartBody(tampered, data.length, { framing: 'aws-chunked' });
  return body;
}

function chunked(body: PartBody): PartWire {
  return trailerWire(body, { encoded: body.encodedLength, decoded: body.decodedLength });
}

async function createUpload(s3: S3Client, bucket: string, key: string): Promise<string> {
  const created = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: 'CRC32' }),
  );
  return created.UploadId as string;
}

describe('sendUploadPart against the null sink, which checks the CRC-32 trailer', () => {
  let sink: NullSinkProcess;
  let s3: S3Client;

  beforeAll(async () => {
    sink = await startNullSink();
    s3 = clientFor(sink.endpoint);
  });

  afterAll(() => {
    s3?.destroy();
    sink?.close();
  });

  const stats = () => sink.stats();

  it('sends a part S3 verifies, and S3 refuses a part whose bytes do not match its CRC-32', async () => {
    const uploadId = await createUpload(s3, 'sink', 'part.bin');
    const data = randomBytes(300_000);
    const input = { Bucket: 'sink', Key: 'part.bin', UploadId: uploadId, PartNumber: 1 };
    const good = await sendUploadPart(s3, input, chunked(partBody(data)), signal());
    expect(good.ETag).toBeTruthy();
    expect(crc32FromBase64(good.ChecksumCRC32 ?? '')).toBe(crc32(data));
    expect((await stats()).checksumFailures).toBe(0);

    // Bytes changed on the way (here: the checksum no longer matches them): BadDigest, not a part.
    const corrupted = sendUploadPart(
      s3,
      { ...input, PartNumber: 2 },
      chunked(
        partBody(data, (body) => {
          body.crc ^= 1;
        }),
      ),
      signal(),
    );
    await expect(corrupted).rejects.toMatchObject({ name: 'BadDigest' });
    expect((await stats()).checksumFailures).toBe(1);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'sink', Key: 'part.bin', UploadId: uploadId }));
    expect((await stats()).openUploads).toBe(0);
  });
});

describe('sendUploadPart signs what it sends (SigV4, checked by a server that re-signs)', () => {
  it('carries a valid signature over the aws-chunked headers', async () => {
    let captured: { req: IncomingMessage; wire: Buffer } | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        captured = { req, wire: Buffer.concat(chunks) };
        res.writeHead(200, { etag: '"part"' }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const s3 = clientFor(`http://127.0.0.1:${port}`);
    try {
      const data = randomBytes(100_000);
      const body = partBody(data);
      await sendUploadPart(
        s3,
        { Bucket: 'b', Key: 'dir/k ey', UploadId: 'u1', PartNumber: 3 },
        chunked(body),
        signal(),
      );
      const { req, wire } = captured as unknown as { req: IncomingMessage; wire: Buffer };
      expect(req.headers).toMatchObject({
        'content-encoding': 'aws-chunked',
        'content-length': String(body.encodedLength),
        'x-amz-decoded-content-length': String(data.length),
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'x-amz-trailer': 'x-amz-checksum-crc32',
      });
      expect(req.headers.expect).toBeUndefined();
      expect(req.headers['transfer-encoding']).toBeUndefined();
      expect(Object.keys(req.headers).some((name) => name.startsWith('x-amz-checksum-'))).toBe(false);
      expect(wire.length).toBe(body.encodedLength);
      expect(wire.toString('latin1')).toContain(`x-amz-checksum-crc32:${crc32Base64(crc32(data))}\r\n\r\n`);

      // Sign again, from what arrived, with the SDK's own signer: the same Authorization.
      const authorization = req.headers.authorization as string;
      const signed = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
      expect(signed).toEqual(
        expect.arrayContaining(['content-encoding', 'content-length', 'x-amz-decoded-content-length']),
      );
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      const date = req.headers['x-amz-date'] as string;
      const signer = await s3.config.signer();
      const again = await signer.sign(
        {
          method: req.method ?? 'PUT',
          protocol: 'http:',
          hostname: '127.0.0.1',
          port,
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: Object.fromEntries(
            signed.filter((name) => name !== 'x-amz-date').map((name) => [name, String(req.headers[name])]),
          ),
        },
        {
          signingDate: new Date(
            `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
          ),
        },
      );
      expect((again as { headers: Record<string, string> }).headers.authorization).toBe(authorization);
    } finally {
      s3.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('sendUploadPart against the local S3 server', () => {
  it('stores the part byte for byte, with its CRC-32', async () => {
    const s3 = newS3Client();
    try {
      const bucket = await createTestBucket(s3, 'chunked-part');
      const uploadId = await createUpload(s3, bucket, 'k');
      const data = randomBytes(5 * 1024 * 1024 + 1);
      const part = await sendUploadPart(
        s3,
        { Bucket: bucket, Key: 'k', UploadId: uploadId, PartNumber: 1 },
        chunked(partBody(data)),
        signal(),
      );
      expect(crc32FromBase64(part.ChecksumCRC32 ?? '')).toBe(crc32(data));
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'k',
          UploadId: uploadId,
          MultipartUpload: {
            Parts: [{ PartNumber: 1, ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32 }],
          },
        }),
      );
      const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }));
      expect(
        Buffer.from(
          await (stored.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
        ),
      ).toEqual(data);
    } finally {
      s3.destroy();
    }
  });
});
