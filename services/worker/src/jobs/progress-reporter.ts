import type { ImportStore, Logger } from '@ferry/shared';
import type { TransferProgress } from '../transfer/transfer-context.ts';
import type { ImportControl } from './running-imports.ts';

export interface ProgressReporter {
  /** Stops the tick and writes the final numbers. */
  stop(): Promise<void>;
}

/**
 * Once a second: writes the import's progress (when it moved) and reads its status, canceling the
 * import when the record says canceled or is gone, in case the pub/sub message was missed.
 */
export function startProgressReporter(options: {
  importId: string;
  store: ImportStore;
  progress: TransferProgress;
  control: ImportControl;
  logger: Logger;
  intervalMs?: number;
}): ProgressReporter {
  const { importId, store, progress, control, logger } = options;
  let written = { done: -1, total: null as number | null, streamed: -1 };
  let busy: Promise<void> | null = null;

  const write = async (): Promise<void> => {
    if (
      progress.done === written.done &&
      progress.total === written.total &&
      progress.streamed === written.streamed
    )
      return;
    const snapshot = { done: progress.done, total: progress.total, streamed: progress.streamed };
    await store.setProgress(importId, snapshot.done, snapshot.total, snapshot.streamed);
    written = snapshot;
  };

  const tick = async (): Promise<void> => {
    try {
      await write();
      const status = await store.status(importId);
      if (status === 'canceled' || status === null) control.cancel();
    } catch (error) {
      logger.warn({ err: error }, 'progress update failed');
    }
  };

  const timer = setInterval(() => {
    busy ??= tick().finally(() => {
      busy = null;
    });
  }, options.intervalMs ?? 1000);
  timer.unref();

  return {
    stop: async () => {
      clearInterval(timer);
      await busy;
      try {
        await write();
      } catch (error) {
        logger.warn({ err: error }, 'final progress update failed');
      }
    },
  };
}
