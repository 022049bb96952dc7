import { describe, expect, it } from 'vitest';
import { synthFerry } from './testing/synth-ferry.ts';
import { containerNamed, environmentOf, logicalIdOf, statementsOfRole } from './testing/template-queries.ts';

const { stack, template } = synthFerry({ minWorkers: '2', maxWorkers: '40', workerConcurrency: '6' });
const workerServiceId = logicalIdOf(stack.worker.service);

describe('autoscaler', () => {
  it('may set and read the worker service and read metrics, nothing else', () => {
    expect(statementsOfRole(template, logicalIdOf(stack.autoscaler.taskRole))).toEqual([
      {
        Effect: 'Allow',
        Action: ['ecs:UpdateService', 'ecs:DescribeServices'],
        Resource: { Ref: workerServiceId },
      },
      { Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' },
    ]);
  });

  it('runs as exactly one task, even during a deployment', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      TaskDefinition: { Ref: logicalIdOf(stack.autoscaler.service.taskDefinition) },
      DesiredCount: 1,
      DeploymentConfiguration: { MinimumHealthyPercent: 0, MaximumPercent: 100 },
    });
  });

  it('scales the worker service in ecs mode within the fleet bounds', () => {
    const container = containerNamed(template, 'autoscaler');
    expect(container.Command).toEqual(['autoscaler']);
    expect(environmentOf(container)).toMatchObject({
      AUTOSCALER_MODE: 'ecs',
      ECS_CLUSTER: { Ref: logicalIdOf(stack.cluster.cluster) },
      ECS_SERVICE: { 'Fn::GetAtt': [workerServiceId, 'Name'] },
      MIN_WORKERS: '2',
      MAX_WORKERS: '40',
      WORKER_CONCURRENCY: '6',
    });
    expect(environmentOf(containerNamed(template, 'worker')).WORKER_CONCURRENCY).toBe('6');
  });
});
