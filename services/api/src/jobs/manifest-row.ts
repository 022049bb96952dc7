import {
  BucketName,
  ErrorCode,
  ImportRequest,
  type ManifestFormat,
  ObjectKey,
  OverwritePolicy,
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
  /** A GCS URL list (TsvHttpData-1.0): rows may leave out their trailing fields. */
  urlList: boolean;
  keyTemplate: string | null;
  bucket: string | null;
  /** The overwrite policy of rows that give none; null: the imports' own default (always). */
  overwrite: OverwritePolicy | null;
}

/**
 * An NDJSON row: an import request's own source (with its `expected`), destination (bucket and key
 * may come from the job) and overwrite policy (may come from the job).
 */
const NdjsonRow = z.strictObject({
  source: Source,
  destination: z.strictObject({ bucket: BucketName.optional(), key: ObjectKey.optional() }),
  overwrite: OverwritePolicy.optional(),
});

interface RowCandidate {
  source: unknown;
  destination: { bucket?: string | undefined; key?: string | undefined };
  overwrite?: string | undefined;
}

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
  let candidate: RowCandidate;
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
    const fits = shape.urlList ? fields.length <= columns.length : fields.length === columns.length;
    if (!fits) return refused(row, `has ${fields.length} fields; the header has ${columns.length}`);
    candidate = delimitedCandidate(columns, fields);
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
  const overwrite = candidate.overwrite ?? shape.overwrite ?? undefined;
  const request = parseWith(ImportRequest, {
    source: sourceOnly.value,
    destination: { bucket, key },
    ...(overwrite === undefined ? {} : { overwrite }),
  });
  if (!request.ok) return refused(row, request.error.message);
  return { ok: true, request: request.value };
}

/**
 * A CSV/TSV row as an http import: an empty (or left out) field is a value not given. A size that
 * is not all digits is passed on as text, so the schema refuses it by its name.
 */
function delimitedCandidate(columns: readonly string[], fields: readonly string[]): RowCandidate {
  const field = (name: string): string | undefined => {
    const index = columns.indexOf(name);
    const value = index === -1 ? undefined : fields[index];
    return value === '' ? undefined : value;
  };
  const size = field('size');
  const expected = Object.fromEntries(
    Object.entries({
      size: size !== undefined && /^\d+$/.test(size) ? Number(size) : size,
      md5: field('md5'),
      sha256: field('sha256'),
      crc32c: field('crc32c'),
    }).filter(([, value]) => value !== undefined),
  );
  return {
    source: {
      type: 'http',
      url: field('url'),
      ...(Object.keys(expected).length > 0 ? { expected } : {}),
    },
    destination: { bucket: field('bucket'), key: field('key') },
    overwrite: field('overwrite'),
  };
}

/** `url: must be ...` as `source.url: must be ...`, so CSV and NDJSON rows name fields alike. */
function prefixed(parent: string, message: string): string {
  return message
    .split('; ')
    .map((part) => (part.startsWith('(body)') ? part.replace('(body)', parent) : `${parent}.${part}`))
    .join('; ');
}
