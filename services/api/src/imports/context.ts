import type { Failpoints, FeedLoop, ImportJobData, ImportStore, ResolveAll, SecretBox } from '@ferry/shared';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DependencyCall } from '../dependency-call.ts';
import type { NotifyDefaults } from '../notify/notify-urls.ts';

export type ImportQueue = Queue<ImportJobData>;

/** What the import routes share: built once per app in app.ts. */
export interface ImportsContext {
  store: ImportStore;
  queue: ImportQueue;
  redis: Redis;
  allowPrivateSources: boolean;
  resolveAll: ResolveAll;
  /** FERRY_NOTIFY_URLS: where a tenant's imports that name no notify URL send their events. */
  notifyDefaults: NotifyDefaults;
  /** Seals a request's secrets before anything is written, and fingerprints bodies for idempotency. */
  secrets: SecretBox;
  /** Every store, queue and pub/sub call goes through this: bounded, and a 503 when Redis is down. */
  call: DependencyCall;
  /** Crash tests' named points (FERRY_FAILPOINTS): submit.after-records, job.after-window-records. */
  failpoints: Failpoints;
  /** This process's feeder: a submit nudges it so its imports get their jobs while the window has room. */
  feed: FeedLoop;
}
