import {
  BucketName,
  ErrorCode,
  ImportRequest,
  type ManifestFormat,
  ObjectKey,
  type RowError,
  Source,
} from '@ferry/shared';
import { z } from 'zod';
import { parseWith } from '../http/validation.ts';
import { delimitedFields } from './delimited-fields.ts';
import { expandKeyTemplate } from './key-template.ts';
import { MAX_LINE_BYTES } from './manifest-lines.ts';

/** How a job's rows are read: the format, the header's columns, and what fills what a row leaves out. */
export interface ManifestShape {
  format: ManifestFormat;
  columns: string[] | null;
  keyTemplate: string | null;
  bucket: string | null;
}

/** An NDJSON row: an import request's own source and destination (bucket and key may come from the job). */
const NdjsonRow = z.strictObject({
  source: Source,
  destination: z.strictObject({ bucket: BucketName.optional(), key: ObjectKey.optional() }),
});

export type ParsedRow = { ok: true; request: ImportRequest } | { ok: false; error: RowError };

function refused(row: number, message: string): ParsedRow {
  return { ok: false, error: { code: ErrorCode.VALIDATION_FAILED, message: `row ${row}: ${message}` } };
}

/**
 * Row `row` (1-based, the header not counted) as an import request, or why it is refused, in words
 * that name the row and the field and never quote a value (a URL may carry a token).
 */
export function parseManifestRow(text: string | null, shape: ManifestShape, row: number): ParsedRow {
  if (text === null) return refused(row, `longer than ${MAX_LINE_BYTES} bytes`);
  let candidate: { source: unknown; destination: { bucket?: string | undefined; key?: string | undefined } };
  if (shape.format === 'ndjson') {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return refused(row, 'is not valid JSON');
    }
    const parsed = parseWith(NdjsonRow, json);
    if (!parsed.ok) return refused(row, parsed.error.message);
    candidate = parsed.value;
  } else {
    const fields = delimitedFields(text, shape.format);
    const columns = shape.columns ?? [];
    if (fields === null) return refused(row, 'has a quote left open or text after a closing quote');
    if (fields.length !== columns.length) {
      return refused(row, `has ${fields.length} fields; the header has ${columns.length}`);
    }
    const field = (name: string): string | undefined => {
      const index = columns.indexOf(name);
      return index === -1 ? undefined : fields[index];
    };
    candidate = {
      source: { type: 'http', url: field('url') },
      destination: { bucket: field('bucket'), key: field('key') },
    };
  }
  const { destination } = candidate;
  const bucket = destination.bucket || shape.bucket;
  const sourceOnly = parseWith(Source, candidate.source);
  if (!sourceOnly.ok) return refused(row, prefixed('source', sourceOnly.error.message));
  const key =
    destination.key ||
    (shape.keyTemplate ? expandKeyTemplate(shape.keyTemplate, sourceOnly.value, row) : undefined);
  if (bucket === undefined) return refused(row, 'destination.bucket: is required (or give the job a bucket)');
  if (key === undefined) return refused(row, 'destination.key: is required (or give the job a keyTemplate)');
  const request = parseWith(ImportRequest, { source: sourceOnly.value, destination: { bucket, key } });
  if (!request.ok) return refused(row, request.error.message);
  return { ok: true, request: request.value };
}

/** `url: must be ...` as `source.url: must be ...`, so CSV and NDJSON rows name fields alike. */
function prefixed(parent: string, message: string): string {
  return message
    .split('; ')
    .map((part) => (part.startsWith('(body)') ? part.replace('(body)', parent) : `${parent}.${part}`))
    .join('; ');
}

export const CSV_COLUMNS = ['url', 'bucket', 'key'] as const;

/**
 * The columns of a CSV/TSV header, or why it is refused: `url` always; `bucket` unless the job
 * names one; `key` unless it has a key template; nothing else.
 */
export function parseHeader(
  text: string | null,
  shape: Omit<ManifestShape, 'columns'>,
): { ok: true; columns: string[] } | { ok: false; message: string } {
  const format = shape.format === 'tsv' ? 'tsv' : 'csv';
  const columns = text === null ? null : delimitedFields(text, format)?.map((name) => name.trim());
  if (!columns || columns.length === 0) return { ok: false, message: 'header: is not a header line' };
  const unknown = columns.find((name) => !(CSV_COLUMNS as readonly string[]).includes(name));
  if (unknown !== undefined) {
    return {
      ok: false,
      message: `header: column ${JSON.stringify(unknown.slice(0, 40))} is not one of url, bucket, key`,
    };
  }
  if (new Set(columns).size !== columns.length) return { ok: false, message: 'header: names a column twice' };
  if (!columns.includes('url')) return { ok: false, message: 'header: has no url column' };
  if (!columns.includes('bucket') && !shape.bucket) {
    return { ok: false, message: 'header: has no bucket column and the job names no bucket' };
  }
  if (!columns.includes('key') && !shape.keyTemplate) {
    return { ok: false, message: 'header: has no key column and the job has no keyTemplate' };
  }
  return { ok: true, columns };
}
