import { newImportId } from '../ids.ts';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ROW_DIGITS = 10;

/** Job ids are ULIDs with a `job_` prefix, like import ids: they sort by creation time. */
export function newJobId(now: number = Date.now()): string {
  return `job_${newImportId(now).slice('imp_'.length)}`;
}

export const JOB_ID_PATTERN = /^job_[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * The import a manifest row becomes: the job's time and 6 of its random characters, then the row
 * number in 10 base-32 digits (rows up to 2^50). Derived, not drawn, so an expander that redoes a
 * window after a crash finds the rows it already made instead of making them twice; and a job's
 * imports sort by row.
 */
export function jobImportId(jobId: string, row: number): string {
  let digits = '';
  let rest = row;
  for (let i = 0; i < ROW_DIGITS; i++) {
    digits = CROCKFORD.charAt(rest % 32) + digits;
    rest = Math.floor(rest / 32);
  }
  return `imp_${jobId.slice('job_'.length, 'job_'.length + 16)}${digits}`;
}
