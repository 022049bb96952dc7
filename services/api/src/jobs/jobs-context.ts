import type { S3Client } from '@aws-sdk/client-s3';
import type { JobStore } from '@ferry/shared';
import type { ImportsContext } from '../imports/context.ts';

/** What the job routes and the expander share: the imports' context and the jobs' own pieces. */
export interface JobsContext extends ImportsContext {
  jobs: JobStore;
  s3: S3Client;
  /** JOBS_BUCKET: uploaded manifests and reports. */
  bucket: string;
  /** JOB_MANIFEST_BUCKETS: where `manifest.s3` may point. */
  manifestBuckets: ReadonlySet<string>;
  /** JOB_WINDOW: a job's open imports at most. */
  window: number;
}
