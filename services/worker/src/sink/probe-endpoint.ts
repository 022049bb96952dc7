import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  type UploadPartCommandOutput,
} from '@aws-sdk/client-s3';
import { Failpoints, type Logger } from '@ferry/shared';
import { heldPartStream } from '../bytes/part-stream.ts';
import type { EndpointCapabilities } from './checksum-mode.ts';
import { ChunkSigner, signingContextOf } from './chunk-signer.ts';
import { clientSecret } from './client-secret.ts';
import { crc32Base64, crc32FromBase64 } from './crc32-base64.ts';
import { s3Status, toDestinationError } from './destination-error.ts';
import { PartBody } from './part-body.ts';
import { plainWire, signedChunksWire, trailerWire } from './part-wire.ts';
import { type PartWire, sendUploadPart } from './send-upload-part.ts';
import type { ObjectTarget, UploadRef } from './sink-types.ts';

/** Scratch keys of the probe live under this prefix, in the bucket of the first import. */
export const PROBE_PREFIX = '.ferry-probe/';
const PROBE_PART_BYTES = 8 * 1024;
/** The probe runs to its end whoever waits for it: its uploads must be aborted, its object deleted. */
const NEVER = new AbortController().signal;

/**
 * Finds out what an S3 endpoint does with checksums, once per worker process, with two small
 * multipart uploads to scratch keys that are aborted after (so nothing is stored) and one tiny
 * object, deleted after: whether it decodes and verifies aws-chunked CRC-32 trailers and signed
 * chunks, verifies
 * Content-MD5 and x-amz-checksum-crc32 headers, answers MD5 ETags, answers ListParts, and refuses a
 * conditional write (PutObject, CompleteMultipartUpload) to a key that exists. A refusal (4xx, 501) is an answer; anything else (5xx,
 * no answer) fails the probe as a transient destination error, so it is tried again later.
 */
export async function probeEndpoint(
  s3: S3Client,
  bucket: string,
  logger: Logger,
  failpoints: Failpoints = new Failpoints(),
): Promise<EndpointCapabilities> {
  const scratch = `${PROBE_PREFIX}${randomBytes(8).toString('hex')}`;
  const opened: UploadRef[] = [];
  const open = async (key: string, crc32Upload: boolean): Promise<UploadRef | null> => {
    const refused = await refusal(() =>
      s3.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          ...(crc32Upload ? { ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' } : {}),
        }),
      ),
    );
    if (refused.refused) {
      if (!crc32Upload) throw toDestinationError(refused.error, 'CreateMultipartUpload (probe)');
      return null;
    }
    const uploadId = refused.value.UploadId;
    if (!uploadId) return null;
    const upload = { bucket, key, uploadId };
    opened.push(upload);
    return upload;
  };
  let partNumber = 0;
  const part = (upload: UploadRef, wire: PartWire) => {
    const input = { Bucket: bucket, Key: upload.key, UploadId: upload.uploadId, PartNumber: ++partNumber };
    return refusal(() => sendUploadPart(s3, input, wire, NEVER));
  };

  try {
    const checked = await open(`${scratch}-crc32`, true);
    const plain = (await open(`${scratch}-plain`, false)) as UploadRef;
    // Both scratch uploads are open: a worker dying here leaves them for the next probe to remove.
    failpoints.hit('probe.after-create');

    let decodesTrailer = false;
    let verifiesTrailer = false;
    let verifiesCrc32Header = false;
    if (checked) {
      const payload = randomBytes(PROBE_PART_BYTES);
      const sent = await part(checked, chunkedWire(payload, crc32(payload)));
      decodesTrailer =
        !sent.refused &&
        (crc32FromBase64(sent.value.ChecksumCRC32 ?? '') === crc32(payload) ||
          unquoted(sent.value.ETag) === md5Hex(payload));
      if (decodesTrailer) {
        const wrong = randomBytes(PROBE_PART_BYTES);
        verifiesTrailer = (await part(checked, chunkedWire(wrong, crc32(wrong) ^ 1))).refused;
      }
      const wrong = randomBytes(PROBE_PART_BYTES);
      verifiesCrc32Header = (await part(checked, plainWire(wrong, wrong.length, { crc32: crc32(wrong) ^ 1 })))
        .refused;
    }

    const payload = randomBytes(PROBE_PART_BYTES);
    const sent = await part(plain, plainWire(payload, payload.length));
    if (sent.refused) throw toDestinationError(sent.error, 'UploadPart (probe)');
    const md5Etags = unquoted(sent.value.ETag) === md5Hex(payload);
    const wrong = randomBytes(PROBE_PART_BYTES);
    const verifiesContentMd5 = (
      await part(plain, plainWire(wrong, wrong.length, { md5: createHash('md5').update(payload).digest() }))
    ).refused;
    const verifiesChunkSignatures =
      md5Etags && (await checksChunkSignatures(s3, (wire) => part(plain, wire)));

    return {
      crc32Uploads: checked !== null,
      decodesTrailer,
      verifiesTrailer,
      verifiesChunkSignatures,
      md5Etags,
      verifiesContentMd5,
      verifiesCrc32Header,
      listParts: await answersListParts(s3, plain),
      ...(await refusesConditionalWrites(s3, { bucket, key: `${scratch}-object` }, logger)),
    };
  } finally {
    for (const upload of opened) {
      await s3
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.key, UploadId: upload.uploadId }))
        .catch((error: unknown) =>
          logger.warn({ err: error, key: upload.key }, 'could not abort the probe upload'),
        );
    }
  }
}

/**
 * Whether a part signed chunk by chunk is stored as its payload (its ETag is the payload's MD5: call
 * only where ETags are MD5s) and one whose chunk signatures do not chain from the request's is
 * refused.
 */
async function checksChunkSignatures(
  s3: S3Client,
  send: (wire: PartWire) => Promise<Refusal<UploadPartCommandOutput>>,
): Promise<boolean> {
  const signed = (payload: Buffer, seedFlipped: boolean): PartWire => {
    const body = new PartBody(heldPartStream([{ chunk: payload, release: () => {} }]), payload.length, {
      framing: 'aws-chunked-signed',
    });
    const wire = signedChunksWire(body, clientSecret(s3));
    if (!seedFlipped) return wire;
    return {
      ...wire,
      afterSigning: async (headers) => {
        const context = await signingContextOf(headers, clientSecret(s3));
        const seed = `${context.seed[0] === '0' ? '1' : '0'}${context.seed.slice(1)}`;
        body.useSigner(new ChunkSigner({ ...context, seed }));
      },
    };
  };
  const payload = randomBytes(PROBE_PART_BYTES);
  const sent = await send(signed(payload, false));
  if (sent.refused || unquoted(sent.value.ETag) !== md5Hex(payload)) return false;
  return (await send(signed(randomBytes(PROBE_PART_BYTES), true))).refused;
}

async function answersListParts(s3: S3Client, upload: UploadRef): Promise<boolean> {
  const listed = await refusal(() =>
    s3.send(new ListPartsCommand({ Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId })),
  );
  // A server that routes the request elsewhere (as GetObject) does not answer with the upload.
  return (
    !listed.refused && listed.value.UploadId === upload.uploadId && (listed.value.Parts?.length ?? 0) > 0
  );
}

async function refusesConditionalWrites(
  s3: S3Client,
  target: ObjectTarget,
  logger: Logger,
): Promise<Pick<EndpointCapabilities, 'conditionalWrites' | 'conditionalCompletes'>> {
  const put = (ifNoneMatch?: string) =>
    s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: target.key,
        Body: Buffer.from('ferry probe'),
        ...(ifNoneMatch ? { IfNoneMatch: ifNoneMatch } : {}),
      }),
    );
  await put().catch((error: unknown) => {
    throw toDestinationError(error, 'PutObject (probe)');
  });
  try {
    const again = await refusal(() => put('*'));
    return {
      conditionalWrites: again.refused && s3Status(again.error) === 412,
      conditionalCompletes: await refusesConditionalComplete(s3, target, logger),
    };
  } finally {
    await s3
      .send(new DeleteObjectCommand({ Bucket: target.bucket, Key: target.key }))
      .catch((error: unknown) =>
        logger.warn({ err: error, key: target.key }, 'could not delete the probe object'),
      );
  }
}

/**
 * Whether completing an upload to `target`, which exists, with If-None-Match: * is refused. A server
 * that ignores the header completes it (over the probe's own object, deleted after).
 */
async function refusesConditionalComplete(
  s3: S3Client,
  target: ObjectTarget,
  logger: Logger,
): Promise<boolean> {
  const created = await refusal(() =>
    s3.send(new CreateMultipartUploadCommand({ Bucket: target.bucket, Key: target.key })),
  );
  const uploadId = created.refused ? undefined : created.value.UploadId;
  if (!uploadId) return false;
  let completed = false;
  try {
    const payload = randomBytes(PROBE_PART_BYTES);
    const input = { Bucket: target.bucket, Key: target.key, UploadId: uploadId, PartNumber: 1 };
    const sent = await refusal(() => sendUploadPart(s3, input, plainWire(payload, payload.length), NEVER));
    if (sent.refused) return false;
    const done = await refusal(() =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: target.bucket,
          Key: target.key,
          UploadId: uploadId,
          IfNoneMatch: '*',
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: sent.value.ETag }] },
        }),
      ),
    );
    completed = !done.refused;
    return done.refused && s3Status(done.error) === 412;
  } finally {
    if (!completed) {
      await s3
        .send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId }))
        .catch((error: unknown) =>
          logger.warn({ err: error, key: target.key }, 'could not abort the probe upload'),
        );
    }
  }
}

type Refusal<T> = { refused: false; value: T } | { refused: true; error: unknown };

/**
 * The call's answer, or its refusal when the server answered with a 4xx or 501 Not Implemented;
 * anything else (other 5xx, no answer) throws.
 */
async function refusal<T>(call: () => Promise<T>): Promise<Refusal<T>> {
  try {
    return { refused: false, value: await call() };
  } catch (error) {
    const status = s3Status(error);
    if (status !== undefined && ((status >= 400 && status < 500) || status === 501))
      return { refused: true, error };
    throw toDestinationError(error, 'probe');
  }
}

/** One aws-chunked chunk of `payload` and a trailer carrying `crc` (right or deliberately wrong). */
function chunkedWire(payload: Buffer, crc: number): PartWire {
  const body = Buffer.concat([
    Buffer.from(`${payload.length.toString(16)}\r\n`),
    payload,
    Buffer.from(`\r\n0\r\nx-amz-checksum-crc32:${crc32Base64(crc)}\r\n\r\n`),
  ]);
  return trailerWire(body, { encoded: body.length, decoded: payload.length });
}

function md5Hex(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

function unquoted(etag: string | undefined): string {
  return (etag ?? '').replaceAll('"', '').toLowerCase();
}
