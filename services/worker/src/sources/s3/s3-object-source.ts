import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  ErrorCode,
  EXPECTED_DIGESTS,
  type ExpectedChecksums,
  type S3Source as S3SourceSpec,
} from '@ferry/shared';
import { permanentError, type TransferError } from '../../errors/transfer-error.ts';
import { sourceStatusError } from '../http-status.ts';
import type { ServerSideCopySource, Source, SourceMetadata } from '../source.ts';
import { toSourceError } from '../source-error.ts';

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * An object in another S3 bucket, read through `client`: the worker's credentials, or an assumed
 * role's when the spec names one. Read as the worker, the multipart engine copies its parts
 * server-side (UploadPartCopy), so reads here serve only the paths that cannot copy. Read as a role,
 * it cannot: UploadPartCopy is signed by one principal, which must read the source and write the
 * destination, and the role is not the worker. Its parts are ranged GETs streamed into UploadPart.
 * The ETag pins the version: S3 ETags are strong and change whenever the object does.
 */
export class S3ObjectSource implements Source {
  readonly #spec: S3SourceSpec;
  readonly #client: S3Client;
  readonly serverSideCopy?: ServerSideCopySource;

  constructor(spec: S3SourceSpec, client: S3Client) {
    this.#spec = spec;
    this.#client = client;
    // Expected digests are checked on the bytes read, and a copy made by S3 passes none through here.
    if (!spec.roleArn && !hasExpectedDigests(spec.expected)) {
      this.serverSideCopy = {
        bucket: spec.bucket,
        key: spec.key,
        ...(spec.versionId ? { versionId: spec.versionId } : {}),
      };
    }
  }

  async metadata(signal: AbortSignal): Promise<SourceMetadata> {
    try {
      const head = await this.#client.send(new HeadObjectCommand(this.#target()), { abortSignal: signal });
      return { size: head.ContentLength ?? null, version: head.ETag ?? null, ranges: true };
    } catch (error) {
      throw this.#toError(error, 'HeadObject');
    }
  }

  async readRange(
    start: number,
    end: number,
    expected: SourceMetadata,
    signal: AbortSignal,
  ): Promise<Readable> {
    try {
      const response = await this.#client.send(
        new GetObjectCommand({
          ...this.#target(),
          Range: `bytes=${start}-${end}`,
          ...(expected.version ? { IfMatch: expected.version } : {}),
        }),
        { abortSignal: signal },
      );
      return response.Body as Readable;
    } catch (error) {
      throw this.#toError(error, `GetObject bytes ${start}-${end}`);
    }
  }

  async readAll(signal: AbortSignal): Promise<{ body: Readable; size: number | null }> {
    try {
      const response = await this.#client.send(new GetObjectCommand(this.#target()), { abortSignal: signal });
      return { body: response.Body as Readable, size: response.ContentLength ?? null };
    } catch (error) {
      throw this.#toError(error, 'GetObject');
    }
  }

  #target(): { Bucket: string; Key: string; VersionId?: string } {
    return {
      Bucket: this.#spec.bucket,
      Key: this.#spec.key,
      ...(this.#spec.versionId ? { VersionId: this.#spec.versionId } : {}),
    };
  }

  #toError(error: unknown, action: string): TransferError {
    return s3SourceError(error, action);
  }
}

/** A failed call on the source object: 412 means it changed; other statuses as for any source. */
export function s3SourceError(error: unknown, action: string): TransferError {
  const shape = (error ?? {}) as SdkError;
  const status = shape.$metadata?.httpStatusCode;
  if (status === undefined) return toSourceError(error);
  if (status === 412 || shape.name === 'PreconditionFailed') {
    return permanentError(
      ErrorCode.SOURCE_CHANGED,
      `source object changed during the import (${action}: PreconditionFailed)`,
    );
  }
  return sourceStatusError(status, `S3 ${action}${shape.name ? ` (${shape.name})` : ''}`);
}

function hasExpectedDigests(expected: ExpectedChecksums | undefined): boolean {
  return EXPECTED_DIGESTS.some((name) => expected?.[name] !== undefined);
}
