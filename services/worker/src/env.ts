import {
  EmfEnvFields,
  envInt,
  FailpointsField,
  FeedEnvFields,
  parseEnv,
  QueueEnvFields,
  requireSecretKeyOutsideDev,
  S3EnvFields,
  SecretEnvFields,
  SourceEnvFields,
} from '@ferry/shared';
import { z } from 'zod';
import { EventsEnvFields } from './events/events-env.ts';
import { LifecycleEnvFields } from './lifecycle/lifecycle-env.ts';
import { LimitsEnvFields } from './limits/limits-env.ts';
import { CHECKSUM_MODES } from './sink/checksum-mode.ts';
import { HttpSourceEnvFields } from './sources/http-source-env.ts';
import { ProviderEnvFields } from './sources/providers/provider-env.ts';
import { StsEnvFields } from './sources/s3/sts-env.ts';

const optionalSecret = z.string().min(1).optional();

const WorkerFields = z.object({
  ...QueueEnvFields,
  ...FeedEnvFields,
  ...S3EnvFields,
  ...SourceEnvFields,
  ...SecretEnvFields,
  ...LifecycleEnvFields,
  ...ProviderEnvFields,
  ...HttpSourceEnvFields,
  ...StsEnvFields,
  ...LimitsEnvFields,
  ...EmfEnvFields,
  ...EventsEnvFields,
  /**
   * Crash tests only: where the process dies on purpose (`name=exit`) or fails (`name=throw`):
   * probe.after-create, upload.after-create, part.after-upload, upload.after-complete,
   * import.after-complete, notify.before-deliver, feed.after-jobs (see Failpoints).
   */
  FERRY_FAILPOINTS: FailpointsField,
  /** Imports one worker process runs at a time. */
  WORKER_CONCURRENCY: envInt(4, 1, 256),
  /** Parts of one import in flight at a time. */
  PART_CONCURRENCY: envInt(4, 1, 64),
  /** Preferred part size; grown for objects that would need more than 10,000 parts. */
  PART_SIZE_MIB: envInt(8, 5, 5120),
  /**
   * Part bytes one worker process may hold in memory at once, across all its imports. A streamed
   * part takes a 1 MiB window of it (the bytes between the source socket and the S3 socket, in
   * reused buffers), an import on the streaming fallback its buffered parts; what does not fit waits.
   * With the process's own ~130 MiB, this bounds a worker's memory whatever the file sizes.
   */
  WORKER_MEMORY_BUDGET_MIB: envInt(64, 1, 65_536),
  /**
   * A source that changes during an import (new ETag or Last-Modified): `restart` aborts the upload,
   * forgets the checkpoint and imports the new version from the start; `fail` fails the import with
   * SOURCE_CHANGED. Either way no object ever mixes two versions.
   */
  ON_SOURCE_CHANGE: z.enum(['restart', 'fail']).default('restart'),
  /**
   * How each part's integrity is made sure of (see sink/checksum-mode.ts): `auto` probes the
   * endpoint once per process; `trailer`, `signed`, `header` and `etag` are taken as given.
   */
  S3_CHECKSUM_MODE: z.enum(CHECKSUM_MODES).default('auto'),
  /**
   * GET /metrics (Prometheus). 9464 is Prometheus's customary exporter port, clear of the API's 8080
   * and the autoscaler's 8081; 0 picks a free port (as AUTOSCALER_PORT does), for several workers on
   * one host. A port that cannot be bound is logged and the worker goes on importing without it.
   */
  METRICS_PORT: envInt(9464, 0, 65_535),
  METRICS_HOST: z.string().min(1, 'must not be empty').default('0.0.0.0'),
  /** SIGTERM to exit: parts in flight get most of it, handing jobs back the rest. ECS waits 120 s at most. */
  DRAIN_TIMEOUT_S: envInt(90, 1, 100),
  // The SDK's credential chain reads process.env; a worker started in-process with its own env
  // object (the CLI, tests) passes them explicitly. Never logged.
  AWS_ACCESS_KEY_ID: optionalSecret,
  AWS_SECRET_ACCESS_KEY: optionalSecret,
  AWS_SESSION_TOKEN: optionalSecret,
});
/** Provider secrets are sealed at rest: no key outside dev mode is a start-up error. */
export const WorkerEnv = requireSecretKeyOutsideDev(WorkerFields);
export type WorkerConfig = z.infer<typeof WorkerEnv>;

export function parseWorkerEnv(env: Record<string, string | undefined> = process.env): WorkerConfig {
  return parseEnv(WorkerEnv, env);
}
