import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { ErrorCode, FerryError } from '@ferry/shared';
import { parseHeader } from './manifest-header.ts';
import { LineSplitter, type ManifestLine } from './manifest-lines.ts';
import { writeStreamed } from './manifest-objects.ts';
import { type ManifestShape, parseManifestRow } from './manifest-row.ts';

/** An uploaded manifest larger than this is refused (it streams to S3; this bounds one request). */
export const MAX_UPLOAD_BYTES = 4 * 1024 * 1024 * 1024;

export interface IngestedManifest {
  columns: string[] | null;
  urlList: boolean;
  dataOffset: number;
  rows: number;
  etag: string;
  size: number;
  /** SHA-256 of the bytes, hex: what makes a retried upload the same request (Idempotency-Key). */
  sha256: string;
}

function refusedManifest(message: string, field: string, status = 400): FerryError {
  return new FerryError(status === 413 ? ErrorCode.BODY_TOO_LARGE : ErrorCode.VALIDATION_FAILED, message, {
    status,
    details: [{ field, message }],
  });
}

/**
 * Streams a manifest into `bucket/key` while checking every row as it passes: the first bad row
 * (or header) aborts the upload and answers 400 naming the row. Holds one line and a few upload
 * parts in memory, whatever the manifest's size. Sources' addresses are checked at expansion.
 */
export async function ingestManifest(
  s3: S3Client,
  target: { bucket: string; key: string },
  body: AsyncIterable<Buffer>,
  shape: Omit<ManifestShape, 'columns' | 'urlList'>,
): Promise<IngestedManifest> {
  const pass = new PassThrough();
  const uploaded = writeStreamed(s3, target.bucket, target.key, pass, contentTypeOf(shape.format));
  // Observed here so an early refusal does not leave it unhandled; awaited below.
  uploaded.catch(() => {});
  const splitter = new LineSplitter(0);
  let columns: string[] | null = null;
  let urlList = false;
  let dataOffset = 0;
  let rows = 0;
  let size = 0;
  const digest = createHash('sha256');
  let refusal: FerryError | null = null;

  const check = (lines: ManifestLine[]): void => {
    for (const line of lines) {
      if (refusal) return;
      if (shape.format !== 'ndjson' && columns === null) {
        const header = parseHeader(line.text, shape);
        if (!header.ok) refusal = refusedManifest(header.message, 'header');
        else ({ columns, urlList } = header);
        dataOffset = line.endOffset;
        continue;
      }
      if (line.text !== null && line.text.trim() === '') continue;
      rows++;
      const parsed = parseManifestRow(line.text, { ...shape, columns, urlList }, rows);
      if (!parsed.ok) refusal = refusedManifest(parsed.error.message, `row ${rows}`);
    }
  };

  try {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > MAX_UPLOAD_BYTES) {
        refusal = refusedManifest(`manifest: larger than ${MAX_UPLOAD_BYTES} bytes`, 'manifest', 413);
      } else {
        check(splitter.push(chunk));
      }
      if (refusal) break;
      digest.update(chunk);
      if (!pass.write(chunk)) await Promise.race([once(pass, 'drain'), uploaded]);
    }
    if (!refusal) check(splitter.end());
    if (!refusal && rows === 0) refusal = refusedManifest('manifest: has no rows', 'manifest');
  } catch (error) {
    pass.destroy(error instanceof Error ? error : new Error('the manifest upload broke off'));
    await uploaded.catch(() => {});
    throw error;
  }
  if (refusal) {
    pass.destroy(new Error('manifest refused'));
    await uploaded.catch(() => {});
    throw refusal;
  }
  pass.end();
  return { columns, urlList, dataOffset, rows, etag: await uploaded, size, sha256: digest.digest('hex') };
}

export function contentTypeOf(format: ManifestShape['format']): string {
  return format === 'ndjson'
    ? 'application/x-ndjson'
    : format === 'csv'
      ? 'text/csv'
      : 'text/tab-separated-values';
}
