import type { PublicJobView } from '@ferry/shared';
import { formatBytes } from './format.ts';

/**
 * One line for a job: a bar of finished rows (done, failed and skipped alike) against the
 * manifest's rows, then the counts and bytes done. Until the row count is known (an S3 manifest
 * still being read) the rows expanded so far stand in, marked with a `+`.
 */
export function renderJobProgress(view: PublicJobView, width = 30): string {
  const { files, bytes, rowsTotal, rowsExpanded } = view.progress;
  const finished = files.done + files.failed + files.skipped;
  const total = rowsTotal ?? rowsExpanded;
  const fraction = total > 0 ? Math.min(1, finished / total) : 0;
  const filled = Math.round(fraction * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const of = rowsTotal === null ? `${rowsExpanded}+` : String(rowsTotal);
  return (
    `${view.status.padEnd(9)} [${bar}] ${(fraction * 100).toFixed(1).padStart(5)}%  ` +
    `${finished} / ${of} files (${files.done} done, ${files.failed} failed, ${files.skipped} skipped)  ` +
    `${formatBytes(bytes.done)}`
  );
}
