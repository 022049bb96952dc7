import type { PublicJobView } from '@ferry/shared';
import { describe, expect, it } from 'vitest';
import { renderJobProgress } from './job-progress.ts';

const view = (
  progress: PublicJobView['progress'],
  status: PublicJobView['status'] = 'running',
): PublicJobView => ({
  id: 'job_01',
  status,
  manifest: { bucket: 'b', key: 'k', format: 'csv', size: 10 },
  createdAt: '',
  updatedAt: '',
  progress,
});

describe('renderJobProgress', () => {
  it('counts every finished row against the manifest', () => {
    const line = renderJobProgress(
      view({
        rowsExpanded: 600,
        rowsTotal: 1000,
        files: { done: 400, failed: 90, skipped: 10 },
        bytes: { done: 4 * 1024 * 1024, failed: 0, skipped: 0 },
      }),
      10,
    );
    expect(line).toBe(
      'running   [#####.....]  50.0%  500 / 1000 files (400 done, 90 failed, 10 skipped)  4.0 MiB',
    );
  });

  it('marks the total as a floor while the manifest is still being read', () => {
    const line = renderJobProgress(
      view({
        rowsExpanded: 200,
        rowsTotal: null,
        files: { done: 50, failed: 0, skipped: 0 },
        bytes: { done: 0, failed: 0, skipped: 0 },
      }),
      4,
    );
    expect(line).toContain('[#...]  25.0%  50 / 200+ files');
  });
});
