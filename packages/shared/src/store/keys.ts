import type { ImportStatus } from '../catalog/import-record.ts';

/** Where completion events go: the import's notify URL, and the operator's SQS queue. */
export type EventSink = 'webhook' | 'sqs';

/**
 * Redis key layout for one queue. The `{queue}` hash tag keeps every key of a queue in one cluster
 * slot, so the Lua transition script may touch the record and its indexes together.
 */
export class StoreKeys {
  readonly prefix: string;

  constructor(queueName: string) {
    this.prefix = `ferry:{${queueName}}:`;
  }

  record(id: string): string {
    return `${this.prefix}import:${id}`;
  }

  /** Every import of a tenant, lexically sorted by id (ids sort by creation time). */
  tenantAll(tenant: string): string {
    return `${this.prefix}tenant:${tenant}:all`;
  }

  tenantStatus(tenant: string, status: ImportStatus): string {
    return `${this.prefix}tenant:${tenant}:status:${status}`;
  }

  /**
   * Imports whose record is written but whose job is not known to be queued, scored by creation
   * time (ms): an API that dies between the two writes leaves its imports here to be queued again.
   */
  unqueued(): string {
    return `${this.prefix}unqueued`;
  }

  idempotency(tenant: string, keyDigest: string): string {
    return `${this.prefix}idem:${tenant}:${keyDigest}`;
  }

  /**
   * Completion events not yet delivered to one sink (`webhook`, `sqs`), by import id, scored by when
   * the next attempt is due (ms). A claim pushes the score out by a lease, so a dispatcher that dies
   * mid-delivery leaves the event due again, not lost. The script spells these keys too.
   */
  outbox(sink: EventSink): string {
    return `${this.prefix}outbox:${sink}:due`;
  }

  /** One import's delivery to one sink: event type and time, attempts so far, last error. */
  outboxEntry(sink: EventSink, importId: string): string {
    return `${this.prefix}outbox:${sink}:${importId}`;
  }

  /**
   * Set (with a TTL, refreshed) while some worker publishes events to SQS: the transition script
   * writes SQS outbox entries only then, so the outbox stays empty when nothing would take them.
   */
  sqsEventsOn(): string {
    return `${this.prefix}events:sqs`;
  }

  /** A tenant's webhook signing secrets, sealed (see WebhookSecrets). */
  notifySecret(tenant: string): string {
    return `${this.prefix}notify-secret:${tenant}`;
  }

  /** A transfer job: its manifest, expansion cursor, aggregate progress and report (see JobStore). */
  job(id: string): string {
    return `${this.prefix}job:${id}`;
  }

  /**
   * The job's imports that are written and not yet final: added with each record (same MULTI),
   * removed by the final transition. Its size is what the expander keeps below the window.
   */
  jobOpen(id: string): string {
    return `${this.prefix}job:${id}:open`;
  }

  /** Rows refused at expansion (no import was made for them), by row number: code and message. */
  jobRowErrors(id: string): string {
    return `${this.prefix}job:${id}:row-errors`;
  }

  /** Held by the one expander that works on the job now (SET NX PX, value = its owner token). */
  jobLease(id: string): string {
    return `${this.prefix}job:${id}:lease`;
  }

  /** Jobs not yet final, scored by creation time (ms): what expanders look at. */
  jobsActive(): string {
    return `${this.prefix}jobs:active`;
  }

  /** A job create's Idempotency-Key: apart from imports' keys, so one key may name an import and a job. */
  jobIdempotency(tenant: string, keyDigest: string): string {
    return `${this.prefix}job-idem:${tenant}:${keyDigest}`;
  }

  /** Every job of a tenant, lexically sorted by id (ids sort by creation time). */
  tenantJobs(tenant: string): string {
    return `${this.prefix}tenant:${tenant}:jobs`;
  }

  /** Pub/sub channel that tells workers to stop a running import. */
  cancelChannel(): string {
    return `${this.prefix}cancel`;
  }
}
