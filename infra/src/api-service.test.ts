import { describe, expect, it } from 'vitest';
import { API_CPU_TARGET_PERCENT } from './api-service.ts';
import { synthFerry } from './testing/synth-ferry.ts';
import { containerNamed, environmentOf, logicalIdOf } from './testing/template-queries.ts';

const { stack, template } = synthFerry({ apiMinTasks: '2', apiMaxTasks: '8' });

describe('API service', () => {
  it('sits behind a public load balancer that checks /readyz', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: [
        { Key: 'deletion_protection.enabled', Value: 'false' },
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.bucket', Value: { Ref: logicalIdOf(stack.node.findChild('LogBucket')) } },
        { Key: 'access_logs.s3.prefix', Value: 'alb' },
      ],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      TargetType: 'ip',
      HealthCheckPath: '/readyz',
      Matcher: { HttpCode: '200' },
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
  });

  it('scales its own task count by target tracking on CPU', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ResourceId: {
        'Fn::Join': [
          '',
          [
            'service/',
            { Ref: logicalIdOf(stack.cluster.cluster) },
            '/',
            { 'Fn::GetAtt': [logicalIdOf(stack.api.service), 'Name'] },
          ],
        ],
      },
      MinCapacity: 2,
      MaxCapacity: 8,
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: API_CPU_TARGET_PERCENT,
      },
    });
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 1);
  });

  it('runs the api command on the port the load balancer targets', () => {
    const container = containerNamed(template, 'api');
    expect(container.Command).toEqual(['api']);
    expect(environmentOf(container).PORT).toBe('8080');
    expect(container.PortMappings).toEqual([{ ContainerPort: 8080, Protocol: 'tcp' }]);
  });
});
