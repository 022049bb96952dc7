import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { EVERY_OPTION } from './testing/every-option.ts';
import { reasonProblems, unacknowledgedFindings } from './testing/nag-findings.ts';
import { synthFerry } from './testing/synth-ferry.ts';
import { containerNamed, environmentOf, logicalIdOf, statementsOfRole } from './testing/template-queries.ts';

const { app, stack, template } = synthFerry(EVERY_OPTION);

describe('cdk-nag with every option', () => {
  it('leaves no finding unacknowledged, and gives each acknowledgement a reason of its own', () => {
    expect(unacknowledgedFindings(app)).toEqual([]);
    expect(reasonProblems(app)).toEqual([]);
  });
});

describe('EC2 Spot workers', () => {
  const providerRef = stack.resolve(stack.cluster.spotCapacity?.capacityProvider.capacityProviderName);

  it('adds an Auto Scaling group capacity provider with managed termination protection', () => {
    template.hasResourceProperties('AWS::ECS::CapacityProvider', {
      AutoScalingGroupProvider: {
        ManagedTerminationProtection: 'ENABLED',
        ManagedScaling: { Status: 'ENABLED' },
      },
    });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      NewInstancesProtectedFromScaleIn: true,
      MixedInstancesPolicy: {
        InstancesDistribution: {
          OnDemandPercentageAboveBaseCapacity: 0,
          SpotAllocationStrategy: 'price-capacity-optimized',
        },
        LaunchTemplate: { Overrides: [{ InstanceType: 'm7i.large' }, { InstanceType: 'm6i.large' }] },
      },
    });
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT', providerRef]),
    });
  });

  it('places the workers on it, and only there', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      TaskDefinition: { Ref: logicalIdOf(stack.worker.service.taskDefinition) },
      CapacityProviderStrategy: [{ CapacityProvider: providerRef, Weight: 1 }],
    });
  });

  it('has the workers watch for Spot interruption notices, which IMDSv2 lets containers read', () => {
    expect(environmentOf(containerNamed(template, 'worker')).SPOT_WATCH).toBe('1');
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: {
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2 },
        BlockDeviceMappings: [{ Ebs: { Encrypted: true } }],
      },
    });
  });
});

describe('an existing VPC', () => {
  it('is used as it is: no VPC, subnets or NAT gateways of the stack own', () => {
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::EC2::Subnet', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.hasResourceProperties('AWS::ElastiCache::SubnetGroup', {
      SubnetIds: ['subnet-0bbb0000000000001', 'subnet-0bbb0000000000002'],
    });
  });
});

describe('HTTPS', () => {
  it('serves the API on 443 with the certificate and redirects plain HTTP there', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: EVERY_OPTION.apiCertificateArn }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443' } }],
    });
  });
});

describe('alarm notifications', () => {
  it('sends every alarm to the topic, going into alarm and back', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(stack.alarms.all().length);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([EVERY_OPTION.alarmTopicArn]);
      expect(alarm.Properties.OKActions).toEqual([EVERY_OPTION.alarmTopicArn]);
    }
  });
});

describe('S3 sources read by role', () => {
  it('lets the worker assume exactly the roles given', () => {
    const statements = statementsOfRole(template, logicalIdOf(stack.worker.taskRole));
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: EVERY_OPTION.sourceRoleArns,
    });
  });
});
