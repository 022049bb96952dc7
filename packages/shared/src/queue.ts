import type { JobsOptions, KeepJobs } from 'bullmq';

export const IMPORT_JOB_NAME = 'import';

/**
 * Job-level attempts cover whole-import failures (a worker dying, the source down for longer than a
 * part's own retries). Each retry resumes from the checkpoint rather than starting over. No priority
 * here: the feeder gives each job its own as it queues it, from its tenant's backlog, so that one tenant's
 * backlog cannot starve another (packages/shared/src/feed/fair-priority.ts).
 *
 * Nothing else: every byte of a job's options is stored in each queued job (see IMPORT_JOB_RETENTION).
 */
export const IMPORT_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2000 },
};

/**
 * How long finished jobs stay, set on the worker (BullMQ applies a worker's retention to jobs that
 * name none) rather than in every job's options, where it took some 80 bytes of Redis per queued
 * import. Records, not jobs, keep an import's outcome; these only bound BullMQ's finished sets.
 */
export const IMPORT_JOB_RETENTION: { removeOnComplete: KeepJobs; removeOnFail: KeepJobs } = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};
