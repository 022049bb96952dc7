import type { JobsOptions } from 'bullmq';
import type { ImportJobData } from '../catalog/import-request.ts';
import { IMPORT_JOB_NAME, IMPORT_JOB_OPTIONS } from '../queue.ts';

/**
 * The BullMQ job that runs an import: its id is the import's, so one import never has two (BullMQ
 * adds nothing for an id it holds, which is what lets the feeder add a job again after a crash). It
 * holds the id alone; the worker reads the request from the record (see ImportJobData).
 */
export function importJob(
  importId: string,
  priority: number,
): { name: string; data: ImportJobData; opts: JobsOptions } {
  return {
    name: IMPORT_JOB_NAME,
    data: { importId },
    opts: { ...IMPORT_JOB_OPTIONS, jobId: importId, priority },
  };
}
