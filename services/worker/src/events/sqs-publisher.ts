import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryResult } from './delivery-result.ts';

export interface SqsPublisherSettings {
  queueUrl: string;
  /** AWS_ENDPOINT_URL_SQS: an SQS-compatible server (fauxqs in tests); unset = AWS. */
  endpoint?: string | undefined;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  timeoutMs: number;
}

/**
 * Sends events to the operator's SQS queue. A FIFO queue (`.fifo`) deduplicates on the event id,
 * so a retried send after a lost answer is not a second message there; a standard queue delivers at
 * least once anyway, and consumers deduplicate on `webhook-id`'s value in the message attributes.
 */
export class SqsPublisher {
  readonly #client: SQSClient;
  readonly #settings: SqsPublisherSettings;
  readonly #fifo: boolean;

  constructor(settings: SqsPublisherSettings) {
    this.#client = new SQSClient({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
      requestHandler: { requestTimeout: settings.timeoutMs },
      maxAttempts: 1,
    });
    this.#settings = settings;
    this.#fifo = settings.queueUrl.endsWith('.fifo');
  }

  async send(eventId: string, body: string, importId: string): Promise<DeliveryResult> {
    try {
      await this.#client.send(
        new SendMessageCommand({
          QueueUrl: this.#settings.queueUrl,
          MessageBody: body,
          MessageAttributes: { 'webhook-id': { DataType: 'String', StringValue: eventId } },
          // One group per import: its single event needs no ordering against other imports'.
          ...(this.#fifo ? { MessageDeduplicationId: eventId, MessageGroupId: importId } : {}),
        }),
      );
      return { ok: true };
    } catch (error) {
      const name = error instanceof Error ? error.name : 'error';
      return { ok: false, reason: `SQS ${name}` };
    }
  }

  close(): void {
    this.#client.destroy();
  }
}

/** The queue's region, from an AWS queue URL's host (`sqs.<region>.amazonaws.com`), else `fallback`. */
export function sqsRegionOf(queueUrl: string, fallback: string): string {
  const match = /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(new URL(queueUrl).hostname);
  return match?.[1] ?? fallback;
}
