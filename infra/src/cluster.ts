import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import type { Ec2SpotCapacity } from './ferry-config.ts';
import { SpotCapacity } from './spot-capacity.ts';

export interface FerryClusterProps {
  vpc: ec2.IVpc;
  /** Adds an EC2 Spot Auto Scaling group as a further capacity provider. */
  ec2Spot: Ec2SpotCapacity | undefined;
}

/** The ECS cluster: Fargate and Fargate Spot for every service, EC2 Spot for workers when asked. */
export class FerryCluster extends Construct {
  readonly cluster: ecs.Cluster;
  readonly spotCapacity: SpotCapacity | undefined;

  constructor(scope: Construct, id: string, props: FerryClusterProps) {
    super(scope, id);
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      enableFargateCapacityProviders: true,
      // The autoscaler falls back on Container Insights' utilisation when AWS/ECS has no datapoint.
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.spotCapacity = props.ec2Spot
      ? new SpotCapacity(this, 'Ec2Spot', { ...props.ec2Spot, cluster: this.cluster, vpc: props.vpc })
      : undefined;
  }
}
