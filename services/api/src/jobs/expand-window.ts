import {
  type ImportRecord,
  type ImportRequest,
  isFerryError,
  type JobRecord,
  jobImportId,
  type RowError,
  sealRequest,
} from '@ferry/shared';
import type { FastifyBaseLogger } from 'fastify';
import { createImports } from '../imports/create-imports.ts';
import { batchResolver, checkSource } from '../imports/source-check.ts';
import type { JobsContext } from './jobs-context.ts';
import { MAX_LINE_BYTES, manifestLines } from './manifest-lines.ts';
import { readManifest } from './manifest-objects.ts';
import { type ManifestShape, parseManifestRow } from './manifest-row.ts';

export function shapeOf(job: JobRecord): ManifestShape {
  const { spec } = job;
  return {
    format: spec.manifest.format,
    columns: spec.columns,
    urlList: spec.urlList === true,
    keyTemplate: spec.keyTemplate,
    bucket: spec.bucket,
    overwrite: spec.overwrite ?? null,
  };
}

interface WindowRow {
  row: number;
  request: ImportRequest | null;
  error: RowError | null;
}

/**
 * Turns up to `room` rows from the job's cursor into imports, through createImports like any
 * submit (records, then jobs), and then moves the cursor past them. Rows that were made into
 * imports before (a crash after the records, before the cursor moved) are found by their derived
 * ids and not made again, so a redone window neither loses nor repeats a row. Rows refused here
 * (their source's address) are kept as row errors. Answers false when the lease was lost or the
 * cursor was moved by someone else meanwhile.
 */
export async function expandWindow(
  ctx: JobsContext,
  job: JobRecord,
  room: number,
  log: FastifyBaseLogger,
  keepLease: () => Promise<boolean>,
): Promise<boolean> {
  const shape = shapeOf(job);
  const rows: WindowRow[] = [];
  let offset = job.cursor.offset;
  let reachedEnd = true;
  const chunks = readManifest(ctx.s3, job.spec.manifest, offset, windowBytes(job, room));
  for await (const line of manifestLines(chunks, offset)) {
    const blank = line.text !== null && line.text.trim() === '';
    if (!blank && rows.length === room) {
      reachedEnd = false;
      break;
    }
    offset = line.endOffset;
    if (blank) continue;
    const row = job.cursor.rows + rows.length + 1;
    const parsed = parseManifestRow(line.text, shape, row);
    rows.push(
      parsed.ok ? { row, request: parsed.request, error: null } : { row, request: null, error: parsed.error },
    );
  }

  // Rows a redone window made before are left as they are, whatever a second look would say of them.
  const parsedRows = rows.filter((item) => item.request !== null);
  const existing = await ctx.call('the job store', () =>
    ctx.jobs.existingImports(parsedRows.map((item) => jobImportId(job.id, item.row))),
  );
  const fresh = parsedRows.filter((item) => !existing.has(jobImportId(job.id, item.row)));
  const resolveAll = batchResolver(ctx.resolveAll);
  const records: ImportRecord[] = [];
  await Promise.all(
    fresh.map(async (item) => {
      if (!item.request) return;
      try {
        await checkSource(item.request.source, ctx.allowPrivateSources, resolveAll);
      } catch (error) {
        if (!isFerryError(error)) throw error;
        item.error = { code: error.code, message: `row ${item.row}: ${error.message}` };
        return;
      }
      const id = jobImportId(job.id, item.row);
      const record = ctx.store.newRecord(id, job.tenant, sealRequest(item.request, ctx.secrets));
      record.jobId = job.id;
      records.push(record);
    }),
  );
  // Renewed last thing before writing: an expander whose lease lapsed while it read (another may
  // hold the job now) must not write the same rows beside the new holder.
  if (!(await keepLease())) return false;
  if (records.length > 0) await createImports(ctx, records, log);
  // Imports written, cursor not moved: a crash here must cost nothing but redoing this window.
  ctx.failpoints.hit('job.after-window-records');

  const rowErrors = new Map(rows.flatMap((item) => (item.error ? [[item.row, item.error] as const] : [])));
  return ctx.call('the job store', () =>
    ctx.jobs.advance(job.id, {
      fromOffset: job.cursor.offset,
      toOffset: offset,
      rows: rows.length,
      done: reachedEnd,
      rowErrors,
    }),
  );
}

/** Rows are guessed at this size until the job's own rows so far say better. */
const FIRST_ROW_BYTES_GUESS = 512;

/** About the bytes `room` rows take, from the rows read so far, with a margin and one long line. */
function windowBytes(job: JobRecord, room: number): number {
  const { offset, rows } = job.cursor;
  const perRow = rows > 0 ? (offset - job.spec.dataOffset) / rows : FIRST_ROW_BYTES_GUESS;
  return Math.ceil(room * perRow * 1.25) + MAX_LINE_BYTES;
}
