import { type ImportJobData, ImportStore } from '@ferry/shared';
import { newRedis } from '@ferry/test-support';
import { Worker } from 'bullmq';

/** The size every finished import reports. */
export const FINISHED_SIZE = 4;

export interface ImportFinisher {
  /** Imports it completed. */
  readonly finished: number;
  close(): Promise<void>;
}

/**
 * Test-only: a BullMQ worker on the API's queue that does what a Ferry worker does to the record of
 * an import it runs (running, then completed, through the store's transitions) without moving any
 * bytes, so a test of the API's side of jobs can push 100,000 rows through the real queue in
 * seconds. Rows whose key contains `fail` are failed instead, with SOURCE_NOT_FOUND; rows whose key
 * contains `skip` are completed without writing, as when the overwrite policy leaves the object.
 */
export function startImportFinisher(queueName: string, concurrency = 200): ImportFinisher {
  const connection = newRedis();
  // Its own: the API whose imports it finishes may be closed (a crash test) while it runs.
  const storeRedis = newRedis();
  const store = new ImportStore(storeRedis, queueName);
  let finished = 0;
  const worker = new Worker<ImportJobData>(
    queueName,
    async (job) => {
      // As a worker does: the job names the import, its record holds the request.
      const { importId } = job.data;
      await store.markRunning(importId, 1);
      const key = (await store.get(importId))?.request.destination.key ?? '';
      if (key.includes('fail')) {
        await store.markFailed(importId, { code: 'SOURCE_NOT_FOUND', message: 'HTTP 404', attempts: 1 });
      } else {
        await store.markCompleted(importId, {
          size: FINISHED_SIZE,
          etag: '"etag"',
          checksum: 'crc32:00000000',
          partCount: 1,
          durationMs: 1,
          ...(key.includes('skip') ? { skipped: true as const, skipReason: 'exists' as const } : {}),
        });
      }
      finished++;
    },
    { connection, concurrency },
  );
  return {
    get finished() {
      return finished;
    },
    async close() {
      await worker.close();
      await connection.quit();
      await storeRedis.quit();
    },
  };
}
