/**
 * Ferry's own span attribute names, spelled once. Values are ids, counts and types: never a token,
 * a header value or a URL's query.
 */
export const SpanAttr = {
  IMPORT_ID: 'ferry.import.id',
  IMPORT_IDS: 'ferry.import.ids',
  IMPORT_COUNT: 'ferry.import.count',
  TENANT: 'ferry.tenant',
  SOURCE_TYPE: 'ferry.source.type',
  ATTEMPT: 'ferry.attempt',
  BYTES: 'ferry.bytes',
  PART_NUMBER: 'ferry.part.number',
  PARTS: 'ferry.parts',
  PARTS_RESUMED: 'ferry.parts.resumed',
  OUTCOME: 'ferry.outcome',
  ERROR_CODE: 'ferry.error.code',
  DESIRED_WORKERS: 'ferry.autoscaler.desired',
  CURRENT_WORKERS: 'ferry.autoscaler.current',
  SCALE_REASON: 'ferry.autoscaler.reason',
} as const;
