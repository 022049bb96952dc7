import { Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { Ec2SpotCapacity } from './ferry-config.ts';

export interface SpotCapacityProps extends Ec2SpotCapacity {
  cluster: ecs.Cluster;
  vpc: ec2.IVpc;
}

/**
 * EC2 Spot instances for the workers, as an ECS capacity provider: ECS scales the group to the
 * tasks placed on it, and managed termination protection keeps an instance with a running worker
 * from being scaled in under it.
 */
export class SpotCapacity extends Construct {
  readonly capacityProvider: ecs.AsgCapacityProvider;

  constructor(scope: Construct, id: string, props: SpotCapacityProps) {
    super(scope, id);
    const role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Ferry worker instances: the ECS agent only',
    });
    const userData = ec2.UserData.forLinux();
    // ECS moves tasks off an instance as soon as its Spot interruption notice arrives.
    userData.addCommands('echo ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config');
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ecs.EcsOptimizedImage.amazonLinux2023(),
      userData,
      role,
      securityGroup: new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: props.vpc,
        description: 'Ferry worker instances: no inbound traffic',
      }),
      requireImdsv2: true,
      // Two hops: the worker in its container reads the Spot notice from IMDS itself (SPOT_WATCH).
      // It could read the instance role's credentials there too: that role holds the agent's calls only.
      httpPutResponseHopLimit: 2,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(30, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
        },
      ],
    });
    const group = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      minCapacity: 0,
      maxCapacity: props.maxInstances,
      mixedInstancesPolicy: {
        launchTemplate,
        launchTemplateOverrides: props.instanceTypes.map((type) => ({
          instanceType: new ec2.InstanceType(type),
        })),
        instancesDistribution: {
          onDemandBaseCapacity: 0,
          onDemandPercentageAboveBaseCapacity: 0,
          spotAllocationStrategy: autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
        },
      },
      capacityRebalance: true,
    });
    Validations.of(group).acknowledge({
      id: 'AwsSolutions-EC26',
      reason:
        "cdk-nag 3.0.2 reads only a launch template given directly and throws on one given through a MixedInstancesPolicy; this launch template's only volume is encrypted (blockDevices above)",
    });
    Validations.of(group).acknowledge({
      id: 'AwsSolutions-AS3',
      reason:
        'The ECS capacity provider decides every launch and termination of this group; they are visible as ECS service events and the fleet dashboard, so group notifications would repeat them',
    });
    this.capacityProvider = new ecs.AsgCapacityProvider(this, 'CapacityProvider', {
      autoScalingGroup: group,
      enableManagedScaling: true,
      enableManagedTerminationProtection: true,
      // Also stands in for the lifecycle-hook Lambda CDK would otherwise add to drain instances.
      enableManagedDraining: true,
    });
    props.cluster.addAsgCapacityProvider(this.capacityProvider);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::ecs:Submit*]',
      reason:
        'The ECS agent policy CDK attaches: ecs:Submit* (the agent reporting task and instance state) is granted on this cluster only',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The rest of the ECS agent policy: ecs:Poll is conditioned on this cluster; ecs:DiscoverPollEndpoint, ecr:GetAuthorizationToken and the log calls have no resource-level permissions',
    });
  }
}
