import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DESTINATION_BUCKET_ACTIONS, DESTINATION_OBJECT_ACTIONS } from './destination-access.ts';
import { synthFerry } from './testing/synth-ferry.ts';
import {
  actionsOf,
  containerNamed,
  environmentOf,
  logicalIdOf,
  statementsOfRole,
} from './testing/template-queries.ts';
import { WORKER_DRAIN_TIMEOUT_S, WORKER_STOP_TIMEOUT_S } from './worker-service.ts';

const { stack, template } = synthFerry({
  destinationBuckets: 'ferry-landing-a,ferry-landing-b',
  workerOnDemandBase: '2',
});
const workerServiceId = logicalIdOf(stack.worker.service);

describe('worker service', () => {
  it('keeps a base of on-demand Fargate workers and runs the rest on Fargate Spot', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      TaskDefinition: { Ref: logicalIdOf(stack.worker.service.taskDefinition) },
      CapacityProviderStrategy: [
        { CapacityProvider: 'FARGATE', Base: 2, Weight: 0 },
        { CapacityProvider: 'FARGATE_SPOT', Weight: 1 },
      ],
      LaunchType: Match.absent(),
    });
  });

  it('gives the worker longer than its own drain deadline between SIGTERM and SIGKILL', () => {
    const container = containerNamed(template, 'worker');
    expect(container.Command).toEqual(['worker']);
    expect(container.StopTimeout).toBe(WORKER_STOP_TIMEOUT_S);
    expect(WORKER_STOP_TIMEOUT_S).toBe(120);
    expect(environmentOf(container).DRAIN_TIMEOUT_S).toBe(String(WORKER_DRAIN_TIMEOUT_S));
    expect(WORKER_DRAIN_TIMEOUT_S).toBeLessThan(WORKER_STOP_TIMEOUT_S);
  });

  it("leaves the desired count to Ferry's autoscaler: none in the template, no ECS autoscaling", () => {
    const service = template.findResources('AWS::ECS::Service')[workerServiceId];
    expect(service?.Properties.DesiredCount).toBeUndefined();
    const scalableTargets = Object.values(
      template.findResources('AWS::ApplicationAutoScaling::ScalableTarget'),
    );
    expect(JSON.stringify(scalableTargets)).not.toContain(workerServiceId);
  });

  it('publishes completion events to the events queue, and may send there', () => {
    const container = containerNamed(template, 'worker');
    expect(environmentOf(container).EVENTS_SQS_QUEUE_URL).toEqual({ Ref: logicalIdOf(stack.events.queue) });
    const statements = statementsOfRole(template, logicalIdOf(stack.worker.taskRole));
    const sends = statements.filter((statement) => actionsOf(statement).some((a) => a.startsWith('sqs:')));
    expect(sends).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalIdOf(stack.events.queue), 'Arn'] },
      }),
    ]);
    expect(sends.flatMap(actionsOf)).toContain('sqs:SendMessage');
  });

  it('may write the destination buckets and no other', () => {
    const statements = statementsOfRole(template, logicalIdOf(stack.worker.taskRole));
    const s3Statements = statements.filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('s3:')),
    );
    const buckets = stack.destinations.buckets.map(logicalIdOf);
    expect(buckets).toHaveLength(2);
    expect(s3Statements).toEqual([
      {
        Effect: 'Allow',
        Action: DESTINATION_OBJECT_ACTIONS,
        Resource: buckets.map((id) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/*']] })),
      },
      {
        Effect: 'Allow',
        Action: DESTINATION_BUCKET_ACTIONS[0],
        Resource: buckets.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
      },
    ]);
    template.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'ferry-landing-a' });
    template.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'ferry-landing-b' });
  });

  it('is granted nothing beyond S3 on those buckets, sending events and protecting its own task', () => {
    const statements = statementsOfRole(template, logicalIdOf(stack.worker.taskRole));
    const actions = statements
      .flatMap(actionsOf)
      .filter((action) => !action.startsWith('s3:') && !action.startsWith('sqs:'));
    expect(actions).toEqual(['ecs:UpdateTaskProtection']);
    expect(JSON.stringify(statements)).not.toContain('"Resource":"*"');
  });

  it('does not watch for EC2 Spot notices on Fargate, which has no instance metadata', () => {
    expect(environmentOf(containerNamed(template, 'worker')).SPOT_WATCH).toBeUndefined();
  });
});
