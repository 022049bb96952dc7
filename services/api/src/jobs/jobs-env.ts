import { BucketName, envInt } from '@ferry/shared';
import { z } from 'zod';

const optionalSecret = z.string().min(1).optional();

/** Transfer jobs (POST /v1/jobs): where manifests and reports go, and how expansion paces itself. */
export const JobsEnvFields = {
  /** The bucket uploaded manifests are kept in and reports written to; unset = /v1/jobs not mounted. */
  JOBS_BUCKET: BucketName.optional(),
  /**
   * Buckets a job's manifest may be read from (`manifest.s3`), comma-separated; unset = none, only
   * inline and uploaded manifests. The API reads them with its own credentials, so without this list
   * a tenant could have it read any object the API's role can.
   */
  JOB_MANIFEST_BUCKETS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const names = (value ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== '');
      for (const [index, name] of names.entries()) {
        if (!BucketName.safeParse(name).success)
          ctx.addIssue({ code: 'custom', message: `entry ${index + 1} is not a bucket name` });
      }
      return new Set(names);
    }),
  /** A job's imports written and not yet final, at most: rows are expanded only below it. */
  JOB_WINDOW: envInt(1000, 1, 100_000),
  /** How often each API process looks for jobs with room to expand, or finished ones to report. */
  JOB_POLL_MS: envInt(1000, 10, 60_000),
  // The SDK's credential chain reads process.env; an API started in-process with its own env object
  // (the CLI, tests) passes them explicitly. Never logged.
  AWS_ACCESS_KEY_ID: optionalSecret,
  AWS_SECRET_ACCESS_KEY: optionalSecret,
  AWS_SESSION_TOKEN: optionalSecret,
};
