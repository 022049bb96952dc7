import { rmSync } from 'node:fs';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startFileSource } from '@ferry/local-stack';
import { importEventId, WebhookSecrets } from '@ferry/shared';
import {
  defaultBackend,
  randomFile,
  startWebhookReceiver,
  uniqueName,
  type WebhookReceiver,
} from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';

const file = randomFile(64 * 1024);
afterAll(() => rmSync(file.dir, { recursive: true, force: true }));

describe.for([
  { kind: 'standard', suffix: '' },
  { kind: 'FIFO', suffix: '.fifo' },
])('completion events to a $kind SQS queue on fauxqs', ({ suffix }) => {
  const backend = defaultBackend();
  const sqs = new SQSClient({
    region: 'us-east-1',
    endpoint: backend.endpoint,
    credentials: backend.credentials,
  });
  let harness: Harness;
  let receiver: WebhookReceiver;
  let queueUrl = '';
  let sourceUrl = '';
  const servers: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    harness = await Harness.create();
    receiver = await startWebhookReceiver();
    const source = await startFileSource({ root: file.dir, ranges: true });
    servers.push(receiver, source);
    sourceUrl = `${source.url}/${file.name}`;
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: `${uniqueName('events')}${suffix}`,
        ...(suffix ? { Attributes: { FifoQueue: 'true' } } : {}),
      }),
    );
    queueUrl = created.QueueUrl ?? '';
    await harness.startWorker({
      EVENTS_SQS_QUEUE_URL: queueUrl,
      AWS_ENDPOINT_URL_SQS: backend.endpoint,
      EVENTS_POLL_MS: '50',
    });
  });
  afterAll(async () => {
    await harness?.close();
    for (const server of servers) await server.close();
    if (queueUrl) await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => {});
    sqs.destroy();
  });

  const receiveOne = async (): Promise<Message> => {
    for (let i = 0; i < 20; i++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          WaitTimeSeconds: 1,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
        }),
      );
      const [message, ...more] = Messages;
      expect(more).toEqual([]);
      if (message) return message;
    }
    throw new Error('no message on the queue');
  };

  it('sends the same event body the webhook gets, with the event id', async () => {
    const id = await harness.submit({ type: 'http', url: sourceUrl }, 'sqs.bin', {}, undefined, {
      url: `${receiver.url}/both`,
    });
    const record = await harness.waitFor(id, (r) => r.notify?.status === 'delivered');
    const message = await receiveOne();
    expect(message.MessageAttributes?.['webhook-id']?.StringValue).toBe(importEventId(id));
    const [delivery] = receiver.received();
    if (!delivery) throw new Error('no webhook delivery');
    expect(message.Body).toBe(delivery.body);
    const secret = (
      await new WebhookSecrets(harness.redis, harness.store.keys, harness.secrets).get('tenant-test')
    ).current;
    expect(receiver.verify(delivery, secret)).toMatchObject({ type: 'import.completed', data: { id } });
    expect(JSON.parse(message.Body ?? '')).toMatchObject({
      type: 'import.completed',
      timestamp: record.updatedAt,
      data: { id, status: 'completed', result: record.result },
    });
  });

  it('sends events of imports without a notify URL too', async () => {
    const id = await harness.submit({ type: 'http', url: sourceUrl }, 'sqs-only.bin');
    await harness.waitForStatus(id, ['completed']);
    const message = await receiveOne();
    expect(JSON.parse(message.Body ?? '')).toMatchObject({ type: 'import.completed', data: { id } });
    expect((await harness.store.get(id))?.notify).toBeUndefined();
  });
});
