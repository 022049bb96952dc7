import type { PublicImportView } from '@ferry/shared';
import { FINAL_STATUSES } from '@ferry/shared';
import type { ApiClient } from './api-client.ts';
import { renderProgress, ThroughputMeter } from './progress-bar.ts';
import { ProgressLine } from './progress-line.ts';

/**
 * Polls an import until it ends, redrawing one progress line (a TTY) or printing a line every few
 * seconds (a log), and returns the final view.
 */
export async function watchImport(
  client: ApiClient,
  id: string,
  out: NodeJS.WriteStream = process.stderr,
  intervalMs = 500,
): Promise<PublicImportView> {
  const meter = new ThroughputMeter();
  const progress = new ProgressLine(out);
  for (;;) {
    const view = await client.get(id);
    const rate = meter.update({
      bytesDone: view.progress.bytesDone,
      bytesTotal: view.progress.bytesTotal,
      atMs: Date.now(),
    });
    const line = renderProgress(view.status, view.progress.bytesDone, view.progress.bytesTotal, rate);
    const final = FINAL_STATUSES.includes(view.status);
    progress.write(line, final);
    if (final) return view;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
