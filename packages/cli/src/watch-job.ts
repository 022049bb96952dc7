import { FINAL_JOB_STATUSES, type PublicJobView } from '@ferry/shared';
import type { ApiClient } from './api-client.ts';
import { renderJobProgress } from './job-progress.ts';
import { ProgressLine } from './progress-line.ts';

/** Polls a job until it ends, redrawing its progress line (a TTY) or printing one every few seconds. */
export async function watchJob(
  client: ApiClient,
  id: string,
  out: NodeJS.WriteStream = process.stderr,
  intervalMs = 1000,
): Promise<PublicJobView> {
  const progress = new ProgressLine(out);
  for (;;) {
    const view = await client.getJob(id);
    const line = renderJobProgress(view);
    const final = FINAL_JOB_STATUSES.includes(view.status);
    progress.write(line, final);
    if (final) return view;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
