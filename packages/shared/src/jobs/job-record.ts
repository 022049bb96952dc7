import type { NotifyState } from '../catalog/notify-target.ts';
import { describeNotifyUrl } from '../catalog/notify-target.ts';
import type { OverwritePolicy } from '../catalog/overwrite-policy.ts';
import type { StoredNotifyTarget } from '../catalog/stored-import-request.ts';
import type { ErrorCode } from '../errors.ts';

/**
 * `running` while rows are expanded and imports run; `canceling` from a cancel until the open
 * imports are stopped and the report is written; then one of the final three.
 */
export const JOB_STATUSES = ['running', 'canceling', 'completed', 'canceled', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINAL_JOB_STATUSES: readonly JobStatus[] = ['completed', 'canceled', 'failed'];

export const MANIFEST_FORMATS = ['ndjson', 'csv', 'tsv'] as const;
export type ManifestFormat = (typeof MANIFEST_FORMATS)[number];

/** The manifest object expansion reads, pinned by its ETag: a manifest changed under a job fails it. */
export interface ManifestObject {
  bucket: string;
  key: string;
  etag: string;
  size: number;
  format: ManifestFormat;
}

/** What a job was created with; never changes afterwards. */
export interface JobSpec {
  manifest: ManifestObject;
  /** CSV/TSV: the header's column names; NDJSON: null. */
  columns: string[] | null;
  /** The TSV is a GCS URL list (TsvHttpData-1.0): its rows may leave out size and MD5. */
  urlList?: true;
  /** The first byte after the header: where rows start. */
  dataOffset: number;
  /** Makes a row's key when it names none: `{basename}`, `{path}`, `{row}`. */
  keyTemplate: string | null;
  /** The bucket of CSV/TSV rows without a bucket column. */
  bucket: string | null;
  /** The overwrite policy of rows that give none; absent: the imports' own default (always). */
  overwrite?: OverwritePolicy;
  /** Where the job.completed event goes; secrets sealed. */
  notify?: StoredNotifyTarget;
  /** Where the per-row report is written. */
  report: { bucket: string; key: string };
}

export interface JobCounts {
  done: number;
  failed: number;
  skipped: number;
}

export interface JobRecord {
  id: string;
  tenant: string;
  status: JobStatus;
  spec: JobSpec;
  createdAt: string;
  updatedAt: string;
  /** Where expansion goes on: the byte after the last row made into an import, and rows so far. */
  cursor: { offset: number; rows: number };
  expansionDone: boolean;
  /** Known once the whole manifest was read (expansion done, or the report of a canceled job). */
  rowsTotal: number | null;
  files: JobCounts;
  bytes: JobCounts;
  /** Set once the report is written. */
  reportWritten: boolean;
  error?: { code: ErrorCode; message: string };
  /** The job.completed webhook's delivery, once the job is final (with a notify URL). */
  notify?: NotifyState;
}

/** The job as API clients see it: no secrets, no internals. */
export function publicJobView(job: JobRecord) {
  const { manifest } = job.spec;
  return {
    id: job.id,
    status: job.status,
    manifest: { bucket: manifest.bucket, key: manifest.key, format: manifest.format, size: manifest.size },
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    progress: {
      rowsExpanded: job.cursor.rows,
      rowsTotal: job.rowsTotal,
      files: job.files,
      bytes: job.bytes,
    },
    ...(job.reportWritten ? { report: job.spec.report } : {}),
    ...(job.error ? { error: job.error } : {}),
    ...(job.spec.notify ? { notify: { url: describeNotifyUrl(job.spec.notify.url), ...job.notify } } : {}),
  };
}
export type PublicJobView = ReturnType<typeof publicJobView>;
