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
   * A tenant's imports that have a record but no BullMQ job yet, oldest first (a list: some 30 bytes
   * an import where a sorted set takes 130). Written with the record in one MULTI; the feeder takes
   * entries from the head once their jobs are added. An entry whose import stopped being queued
   * before it was fed (canceled, removed) stays until the feeder reaches it and drops it.
   */
  tenantUnfed(tenant: string): string {
    return `${this.prefix}tenant:${tenant}:unfed`;
  }

  /** Tenants whose unfed list may be non-empty: what the feeder and the autoscaler look at. */
  unfedTenants(): string {
    return `${this.prefix}unfed-tenants`;
  }

  /** Held by the one process that feeds the queue now (SET NX PX, value = its owner token). */
  feedLease(): string {
    return `${this.prefix}feed:lease`;
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
