import { Match } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import { synthFerry } from './testing/synth-ferry.ts';
import { logicalIdOf } from './testing/template-queries.ts';

const { stack, template } = synthFerry();
const queueId = logicalIdOf(stack.events.queue);
const deadLettersId = logicalIdOf(stack.events.deadLetterQueue);

describe('events queue', () => {
  it('moves an event that keeps failing to its dead-letter queue', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLettersId, 'Arn'] }, maxReceiveCount: 5 },
      SqsManagedSseEnabled: true,
    });
  });

  it('refuses requests without TLS, on both queues', () => {
    for (const id of [queueId, deadLettersId]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });
});
