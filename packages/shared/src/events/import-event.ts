import { describeSource } from '../catalog/describe-source.ts';
import type { ImportRecord } from '../catalog/import-record.ts';

export const IMPORT_EVENT_TYPES = ['import.completed', 'import.failed', 'import.canceled'] as const;
export type ImportEventType = (typeof IMPORT_EVENT_TYPES)[number];

/** What webhooks and SQS carry when an import turns final (Standard Webhooks' payload shape). */
export interface ImportEvent {
  type: ImportEventType;
  /** When the import turned final (ISO 8601). */
  timestamp: string;
  data: {
    id: string;
    status: ImportRecord['status'];
    source: Record<string, unknown>;
    destination: ImportRecord['request']['destination'];
    createdAt: string;
    result?: ImportRecord['result'];
    error?: ImportRecord['error'];
  };
}

/**
 * The event for a final record. Made from the stored record, so a retry sends the same bytes, and
 * the source is described as GET shows it: header names, never values; no query strings' values.
 */
export function importEvent(record: ImportRecord, type: ImportEventType, timestamp: string): ImportEvent {
  return {
    type,
    timestamp,
    data: {
      id: record.id,
      status: record.status,
      source: describeSource(record.request.source),
      destination: record.request.destination,
      createdAt: record.createdAt,
      ...(record.result ? { result: record.result } : {}),
      ...(record.error ? { error: record.error } : {}),
    },
  };
}

/** The id receivers deduplicate on (`webhook-id`, SQS's MessageDeduplicationId): one per import. */
export function importEventId(importId: string): string {
  return `evt_${importId.replace(/^imp_/, '')}`;
}
