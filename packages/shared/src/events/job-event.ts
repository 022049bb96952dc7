import { type JobRecord, publicJobView } from '../jobs/job-record.ts';

export const JOB_EVENT_TYPES = ['job.completed', 'job.canceled', 'job.failed'] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

/** What webhooks and SQS carry when a transfer job turns final: the job as GET shows it. */
export interface JobEvent {
  type: JobEventType;
  timestamp: string;
  data: Omit<ReturnType<typeof publicJobView>, 'notify'>;
}

export function jobEvent(job: JobRecord, type: JobEventType, timestamp: string): JobEvent {
  const { notify: _delivery, ...data } = publicJobView(job);
  return { type, timestamp, data };
}

/** The id receivers deduplicate on: one per job (distinct from every import's). */
export function jobEventId(jobId: string): string {
  return `evt_${jobId}`;
}

export function isJobEventType(type: string): type is JobEventType {
  return (JOB_EVENT_TYPES as readonly string[]).includes(type);
}
