import type { JobsOptions } from 'bullmq';

export const IMPORT_JOB_NAME = 'import';

/**
 * Job-level attempts cover whole-import failures (a worker dying, the source down for longer than a
 * part's own retries). Each retry resumes from the checkpoint rather than starting over. No priority
 * here: the API gives each job its own at submit, from its tenant's backlog, so that one tenant's
 * backlog cannot starve another (services/api/src/imports/fair-priority.ts).
 */
export const IMPORT_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};
