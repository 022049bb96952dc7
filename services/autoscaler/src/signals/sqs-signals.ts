import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SignalSource } from './signal-source.ts';

export interface SqsSignalsOptions {
  /** Owned: destroyed by close(). */
  client: SQSClient;
  queueUrl: string;
}

/**
 * The depth of the SQS queue a deployment feeds imports from: messages waiting (visible) and
 * messages taken but not yet deleted (in flight). Both are approximate, as SQS says.
 */
export function sqsSignals(options: SqsSignalsOptions): SignalSource {
  return {
    name: 'sqs',
    read: async () => {
      const { Attributes: attributes = {} } = await options.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: options.queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return {
        sqs: {
          visible: count(attributes.ApproximateNumberOfMessages),
          notVisible: count(attributes.ApproximateNumberOfMessagesNotVisible),
        },
      };
    },
    close: async () => {
      options.client.destroy();
    },
  };
}

function count(value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 0) {
    throw new Error(`SQS answered an unexpected message count: ${JSON.stringify(value)}`);
  }
  return n;
}
