import { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  type Destination,
  ErrorCode,
  type ImportRecord,
  type JobRecord,
  jobImportId,
  redactUrl,
  type Source,
  type StoredSource,
} from '@ferry/shared';
import { shapeOf } from './expand-window.ts';
import type { JobsContext } from './jobs-context.ts';
import { manifestLines } from './manifest-lines.ts';
import { readManifest, s3Unavailable, writeStreamed } from './manifest-objects.ts';
import { type ManifestShape, parseManifestRow } from './manifest-row.ts';

export const REPORT_COLUMNS = ['row', 'source', 'destination', 'size', 'checksum', 'outcome', 'error_code'];

/** Rows whose records are read in one go: the report holds this many lines at a time. */
const BATCH_ROWS = 500;

export interface ReportTotals {
  rows: number;
  /** Rows never made into imports (the job was canceled first): reported as skipped. */
  unexpanded: number;
}

/**
 * Writes the job's report: one CSV line per manifest row, in manifest order, read back from the
 * manifest and each row's import record (or its row error) a batch at a time and streamed into S3,
 * so neither the manifest nor the report is ever whole in memory. Safe to redo after a crash: the
 * object is written again from the start.
 */
export async function writeJobReport(
  ctx: JobsContext,
  job: JobRecord,
  keepLease: () => Promise<boolean>,
): Promise<ReportTotals> {
  const totals: ReportTotals = { rows: 0, unexpanded: 0 };
  const { bucket, key } = job.spec.report;
  const lines = Readable.from(reportLines(ctx, job, totals, keepLease));
  await writeStreamed(ctx.s3, bucket, key, lines, 'text/csv');
  return totals;
}

async function* reportLines(
  ctx: JobsContext,
  job: JobRecord,
  totals: ReportTotals,
  keepLease: () => Promise<boolean>,
): AsyncGenerator<string> {
  yield csvLine(REPORT_COLUMNS);
  const shape = shapeOf(job);
  let batch: Array<{ row: number; text: string | null }> = [];
  const chunks = readManifest(ctx.s3, job.spec.manifest, job.spec.dataOffset);
  for await (const line of manifestLines(chunks, job.spec.dataOffset)) {
    if (line.text !== null && line.text.trim() === '') continue;
    totals.rows++;
    batch.push({ row: totals.rows, text: line.text });
    if (batch.length === BATCH_ROWS) {
      // A report of millions of rows outlasts one lease; another writer meanwhile would only redo it.
      if (!(await keepLease())) throw new Error('the job lease was lost while writing its report');
      yield await reportBatch(ctx, job, shape, batch, totals);
      batch = [];
    }
  }
  if (batch.length > 0) yield await reportBatch(ctx, job, shape, batch, totals);
}

async function reportBatch(
  ctx: JobsContext,
  job: JobRecord,
  shape: ManifestShape,
  batch: Array<{ row: number; text: string | null }>,
  totals: ReportTotals,
): Promise<string> {
  // Every row's record is looked for, not only those below the cursor: a window written just as
  // the job was canceled has records the cursor never moved past.
  const records = await ctx.call('the import store', () =>
    Promise.all(batch.map((item) => ctx.store.get(jobImportId(job.id, item.row)))),
  );
  const byRow = new Map<number, ImportRecord>();
  batch.forEach((item, i) => {
    const record = records[i];
    if (record) byRow.set(item.row, record);
  });
  const refusedRows = batch
    .filter((item) => item.row <= job.cursor.rows && !byRow.has(item.row))
    .map((item) => item.row);
  const rowErrors = await ctx.call('the job store', () => ctx.jobs.rowErrors(job.id, refusedRows));

  return batch
    .map((item) => {
      const record = byRow.get(item.row);
      if (record) {
        const { result } = record;
        return csvLine([
          String(item.row),
          sourceLabel(record.request.source),
          s3Url(record.request.destination),
          result ? String(result.size) : '',
          result?.checksum ?? '',
          outcomeOf(record),
          record.status === 'canceled' ? ErrorCode.CANCELED : (record.error?.code ?? ''),
        ]);
      }
      // No import: the row was refused at expansion, or never reached (a canceled job).
      const parsed = parseManifestRow(item.text, shape, item.row);
      const source = parsed.ok ? sourceLabel(parsed.request.source) : '';
      const destination = parsed.ok ? s3Url(parsed.request.destination) : '';
      if (item.row > job.cursor.rows) {
        totals.unexpanded++;
        return csvLine([String(item.row), source, destination, '', '', 'skipped', ErrorCode.CANCELED]);
      }
      const code = rowErrors.get(item.row)?.code ?? ErrorCode.INTERNAL;
      return csvLine([String(item.row), source, destination, '', '', 'failed', code]);
    })
    .join('');
}

const OUTCOMES: Partial<Record<ImportRecord['status'], string>> = {
  completed: 'done',
  failed: 'failed',
  canceled: 'skipped',
};

/** As the job's counters have it: an import the overwrite policy left unwritten is skipped, not done. */
function outcomeOf(record: ImportRecord): string {
  if (record.status === 'completed' && record.result?.skipped) return 'skipped';
  return OUTCOMES[record.status] ?? record.status;
}

/** Where a row reads from, without anything secret: a URL without its query or user info. */
function sourceLabel(source: Source | StoredSource): string {
  switch (source.type) {
    case 'http':
      return redactUrl(source.url);
    case 's3':
      return `s3://${source.bucket}/${source.key}`;
    case 'dropbox':
      return `dropbox:${source.path}`;
    case 'gdrive':
      return `gdrive:${source.fileId}`;
  }
}

function s3Url(destination: Destination): string {
  return `s3://${destination.bucket}/${destination.key}`;
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
export function csvLine(fields: readonly string[]): string {
  return `${fields.map((field) => (/[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field)).join(',')}\n`;
}

/** The written report's bytes, streamed from S3 to the client. */
export async function openReport(ctx: JobsContext, job: JobRecord): Promise<Readable> {
  try {
    const answer = await ctx.s3.send(
      new GetObjectCommand({ Bucket: job.spec.report.bucket, Key: job.spec.report.key }),
    );
    return answer.Body as Readable;
  } catch (error) {
    throw s3Unavailable(error);
  }
}
