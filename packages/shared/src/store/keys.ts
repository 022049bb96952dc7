import type { ImportStatus } from '../catalog/import-record.ts';

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

  /** Pub/sub channel that tells workers to stop a running import. */
  cancelChannel(): string {
    return `${this.prefix}cancel`;
  }
}
