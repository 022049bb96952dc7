import type { PublicImportView } from '@ferry/shared';
import { FINAL_STATUSES } from '@ferry/shared';
import type { ApiClient } from './api-client.ts';
import { renderProgress, ThroughputMeter } from './progress-bar.ts';

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
  let lastPrinted = 0;
  for (;;) {
    const view = await client.get(id);
    const rate = meter.update({
      bytesDone: view.progress.bytesDone,
      bytesTotal: view.progress.bytesTotal,
      atMs: Date.now(),
    });
    const line = renderProgress(view.status, view.progress.bytesDone, view.progress.bytesTotal, rate);
    const final = FINAL_STATUSES.includes(view.status);
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
