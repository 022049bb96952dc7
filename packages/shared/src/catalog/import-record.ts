import type { ErrorCode } from '../errors.ts';
import { describeSource } from './describe-source.ts';
import { describeNotifyUrl, type NotifyState } from './notify-target.ts';
import type { StoredImportRequest } from './stored-import-request.ts';

export const IMPORT_STATUSES = ['queued', 'running', 'completed', 'failed', 'canceled'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];
export const FINAL_STATUSES: readonly ImportStatus[] = ['completed', 'failed', 'canceled'];

export interface ImportResult {
  size: number;
  etag: string;
  /** `crc32:<8 hex>`: the whole object's CRC-32, combined from the parts' CRC-32s as they streamed. */
  checksum: string;
  /** The provider's own digest of the file, verified against the bytes read (`md5:<hex>`, ...). */
  sourceChecksum?: string;
  partCount: number;
  durationMs: number;
  /**
   * The overwrite policy left the object the destination held (nothing was written): size, etag
   * and checksum are then that object's.
   */
  skipped?: true;
  /** `exists` (overwrite `never`), or `identical` (`if-different`: same size and checksum). */
  skipReason?: SkipReason;
  /**
   * Under overwrite `never`, how the key's absence was made sure of: `conditional-write`
   * (If-None-Match: * on the write itself, atomic) or `head` (HeadObject before starting and before
   * completing: an object written in between is overwritten).
   */
  existenceCheck?: ExistenceCheck;
}

export type SkipReason = 'exists' | 'identical';
export type ExistenceCheck = 'conditional-write' | 'head';

export interface ImportError {
  code: ErrorCode;
  message: string;
  attempts: number;
}

export interface ImportRecord {
  id: string;
  tenant: string;
  status: ImportStatus;
  /** Secrets sealed: records never hold them in plaintext. */
  request: StoredImportRequest;
  createdAt: string;
  updatedAt: string;
  bytesDone: number;
  bytesTotal: number | null;
  attempts: number;
  result?: ImportResult;
  error?: ImportError;
  /** The completion webhook's delivery, from the moment the import turned final (with a notify URL). */
  notify?: NotifyState;
  /** The transfer job whose manifest row this import is: its final transition counts toward the job. */
  jobId?: string;
}

/** The record as API clients see it: no tenant internals, no secrets. */
export function publicImportView(record: ImportRecord) {
  return {
    id: record.id,
    status: record.status,
    source: describeSource(record.request.source),
    destination: record.request.destination,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    progress: { bytesDone: record.bytesDone, bytesTotal: record.bytesTotal },
    attempts: record.attempts,
    ...(record.request.overwrite ? { overwrite: record.request.overwrite } : {}),
    ...(record.jobId ? { jobId: record.jobId } : {}),
    ...(record.result ? { result: record.result } : {}),
    ...(record.error ? { error: record.error } : {}),
    ...(record.request.notify
      ? { notify: { url: describeNotifyUrl(record.request.notify.url), ...record.notify } }
      : {}),
  };
}
export type PublicImportView = ReturnType<typeof publicImportView>;
