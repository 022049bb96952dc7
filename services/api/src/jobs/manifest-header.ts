import type { ManifestFormat } from '@ferry/shared';
import { delimitedFields } from './delimited-fields.ts';

/**
 * The columns a CSV/TSV header may name: `url` always, the destination, the row's overwrite policy
 * and what the client expects of the source's bytes (an http source's `expected`).
 */
export const CSV_COLUMNS = ['url', 'bucket', 'key', 'overwrite', 'size', 'md5', 'sha256', 'crc32c'] as const;

/**
 * GCS Storage Transfer Service's URL list: a TSV whose first line is this, then rows of
 * `url<TAB>size<TAB>md5` (the MD5 in base64); the trailing fields may be left out.
 */
export const URL_LIST_HEADER = 'TsvHttpData-1.0';
export const URL_LIST_COLUMNS = ['url', 'size', 'md5'];

/** What the header must find filled by the job when it names no such column. */
export interface HeaderShape {
  format: ManifestFormat;
  keyTemplate: string | null;
  bucket: string | null;
}

export type ParsedHeader = { ok: true; columns: string[]; urlList: boolean } | { ok: false; message: string };

/**
 * The columns of a CSV/TSV header, or why it is refused: `url` always; `bucket` unless the job
 * names one; `key` unless it has a key template; only the columns above. A TSV may instead open
 * with GCS's URL list line, whose columns are fixed.
 */
export function parseHeader(text: string | null, shape: HeaderShape): ParsedHeader {
  if (shape.format === 'tsv' && text?.trim() === URL_LIST_HEADER) {
    const missing = destinationMissing(URL_LIST_COLUMNS, shape, `header: a ${URL_LIST_HEADER} list`);
    return missing ? { ok: false, message: missing } : { ok: true, columns: URL_LIST_COLUMNS, urlList: true };
  }
  const format = shape.format === 'tsv' ? 'tsv' : 'csv';
  const columns = text === null ? null : delimitedFields(text, format)?.map((name) => name.trim());
  if (!columns || columns.length === 0) return { ok: false, message: 'header: is not a header line' };
  const unknown = columns.find((name) => !(CSV_COLUMNS as readonly string[]).includes(name));
  if (unknown !== undefined) {
    return {
      ok: false,
      message: `header: column ${JSON.stringify(unknown.slice(0, 40))} is not one of ${CSV_COLUMNS.join(', ')}`,
    };
  }
  if (new Set(columns).size !== columns.length) return { ok: false, message: 'header: names a column twice' };
  if (!columns.includes('url')) return { ok: false, message: 'header: has no url column' };
  const missing = destinationMissing(columns, shape, 'header:');
  return missing ? { ok: false, message: missing } : { ok: true, columns, urlList: false };
}

/** Why rows would have no bucket or no key, or null; `lead` names the header in the message. */
function destinationMissing(columns: readonly string[], shape: HeaderShape, lead: string): string | null {
  if (!columns.includes('bucket') && !shape.bucket)
    return `${lead} has no bucket column and the job names no bucket`;
  if (!columns.includes('key') && !shape.keyTemplate)
    return `${lead} has no key column and the job has no keyTemplate`;
  return null;
}
