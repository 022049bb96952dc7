/** What the benchmarks use from the workspace and its dependencies, in one place. */

export { CreateBucketCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
export {
  ensureRedis,
  freePort,
  localS3Client,
  type RedisHandle,
  type S3Credentials,
  startFileSource,
  startRadosgw,
  startS3Server,
} from '@ferry/local-stack';
export {
  IMPORT_JOB_NAME,
  IMPORT_JOB_OPTIONS,
  type ImportRecord,
  type ImportRequest,
  ImportStore,
  newImportId,
  SecretBox,
  SecretKey,
  StoreKeys,
  sealRequest,
} from '@ferry/shared';
export { Queue } from 'bullmq';
export { Redis } from 'ioredis';

/** The repository root, where `node packages/cli/src/main.ts worker` runs from. */
export const REPO_ROOT = new URL('..', import.meta.url).pathname;
