import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { sqsSignals } from './sqs-signals.ts';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/ferry-imports';

describe('SQS signals (SDK boundary faked with aws-sdk-client-mock)', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());

  it('reads the approximate visible and in-flight message counts', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { ApproximateNumberOfMessages: '120', ApproximateNumberOfMessagesNotVisible: '8' },
    });
    const source = sqsSignals({ client: new SQSClient({ region: 'us-east-1' }), queueUrl: QUEUE_URL });
    expect(await source.read(Date.now())).toEqual({ sqs: { visible: 120, notVisible: 8 } });
    expect(sqs.commandCalls(GetQueueAttributesCommand)[0]?.args[0].input).toEqual({
      QueueUrl: QUEUE_URL,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    });
    await source.close();
  });

  it('fails on an error or an answer without the counts, rather than read it as empty', async () => {
    const source = sqsSignals({ client: new SQSClient({ region: 'us-east-1' }), queueUrl: QUEUE_URL });
    sqs.on(GetQueueAttributesCommand).rejectsOnce(new Error('AWS.SimpleQueueService.NonExistentQueue'));
    await expect(source.read(Date.now())).rejects.toThrow(/NonExistentQueue/);
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: {} });
    await expect(source.read(Date.now())).rejects.toThrow(/unexpected message count/);
    await source.close();
  });
});
