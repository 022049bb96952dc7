import { FINAL_JOB_STATUSES, type PublicJobView } from '@ferry/shared';
import type { ApiClient } from './api-client.ts';
import { renderJobProgress } from './job-progress.ts';

/** Polls a job until it ends, redrawing its progress line (a TTY) or printing one every few seconds. */
export async function watchJob(
  client: ApiClient,
  id: string,
  out: NodeJS.WriteStream = process.stderr,
  intervalMs = 1000,
): Promise<PublicJobView> {
  let lastPrinted = 0;
  for (;;) {
    const view = await client.getJob(id);
    const line = renderJobProgress(view);
    const final = FINAL_JOB_STATUSES.includes(view.status);
    if (out.isTTY) {
      out.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    } else if (final || Date.now() - lastPrinted > 3000) {
      out.write(`${line}\n`);
      lastPrinted = Date.now();
    }
    if (final) return view;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
