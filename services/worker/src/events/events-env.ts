import { envInt } from '@ferry/shared';
import { z } from 'zod';

const httpUrl = z
  .string()
  .refine((v) => URL.canParse(v) && ['http:', 'https:'].includes(new URL(v).protocol), {
    message: 'expected a URL starting with http:// or https://',
  });

/** Completion events: the SQS queue, and the delivery knobs (tests shrink them). */
export const EventsEnvFields = {
  /** Also publish every import's completion event to this SQS queue (`.fifo` queues deduplicate). */
  EVENTS_SQS_QUEUE_URL: httpUrl.optional(),
  /** The AWS SDK's variable for an SQS-compatible endpoint; read here since workers may get their own env. */
  AWS_ENDPOINT_URL_SQS: httpUrl.optional(),
  /** One delivery attempt's limit, connect to answer; a claim's lease is twice this and a second. */
  EVENTS_TIMEOUT_MS: envInt(10_000, 100, 120_000),
  /** How often each worker looks for due events. */
  EVENTS_POLL_MS: envInt(1_000, 10, 60_000),
  /** Ceiling of the first retry's delay; doubling per attempt, up to the cap, with full jitter. */
  EVENTS_RETRY_BASE_MS: envInt(5_000, 1, 3_600_000),
  EVENTS_RETRY_CAP_MS: envInt(3_600_000, 1, 86_400_000),
  /** An event not delivered this long after the import turned final is given up: state `failed`. */
  EVENTS_GIVE_UP_AFTER_S: envInt(86_400, 1, 7 * 86_400),
};

export interface DeliverySettings {
  pollMs: number;
  timeoutMs: number;
  leaseMs: number;
  retry: { baseMs: number; capMs: number };
  giveUpAfterMs: number;
  /** Events one dispatcher delivers at once, per sink. */
  batchSize: number;
}

export function deliverySettings(config: {
  EVENTS_TIMEOUT_MS: number;
  EVENTS_POLL_MS: number;
  EVENTS_RETRY_BASE_MS: number;
  EVENTS_RETRY_CAP_MS: number;
  EVENTS_GIVE_UP_AFTER_S: number;
}): DeliverySettings {
  return {
    pollMs: config.EVENTS_POLL_MS,
    timeoutMs: config.EVENTS_TIMEOUT_MS,
    // Covers the record and secret reads and the settle around the POST's own timeout.
    leaseMs: 2 * config.EVENTS_TIMEOUT_MS + 1_000,
    retry: { baseMs: config.EVENTS_RETRY_BASE_MS, capMs: config.EVENTS_RETRY_CAP_MS },
    giveUpAfterMs: config.EVENTS_GIVE_UP_AFTER_S * 1000,
    batchSize: 16,
  };
}
