import type { Child } from './processes.ts';
import type { ChecksumModeChoice } from './results.ts';

/** The message of the line (info level) in which a worker says how it makes sure of each part. */
const MESSAGE = 'S3 checksum mode';

/**
 * Listens to a worker's log for the line it writes once, when its first import first talks to S3
 * (where S3_CHECKSUM_MODE=auto probes the endpoint), and returns a reader of what the line said:
 * null while there was none. The mode decides much of what a part costs the worker.
 */
export function watchChecksumMode(worker: Child): () => ChecksumModeChoice | null {
  let choice: ChecksumModeChoice | null = null;
  worker.onLine((line) => {
    if (choice || !line.includes(`"msg":"${MESSAGE}"`)) return;
    try {
      const { checksumMode, reason } = JSON.parse(line) as { checksumMode?: unknown; reason?: unknown };
      if (typeof checksumMode === 'string') choice = { mode: checksumMode, reason: String(reason ?? '') };
    } catch {
      // Not a pino line after all; the mode stays unknown rather than the bench failing.
    }
  });
  return () => choice;
}
