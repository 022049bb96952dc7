import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ExistingVpc } from './ferry-config.ts';

export interface NetworkProps {
  /** Unset: a new VPC across two availability zones. */
  existing: ExistingVpc | undefined;
  /** Where a new VPC's flow logs go. */
  logBucket: s3.IBucket;
}

/** The VPC everything runs in: public subnets for the load balancer, private ones for the rest. */
export class Network extends Construct {
  readonly vpc: ec2.IVpc;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.vpc = props.existing
      ? ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
          vpcId: props.existing.vpcId,
          availabilityZones: props.existing.availabilityZones,
          publicSubnetIds: props.existing.publicSubnetIds,
          privateSubnetIds: props.existing.privateSubnetIds,
        })
      : this.#newVpc(props.logBucket);
  }

  #newVpc(logBucket: s3.IBucket): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      // One per zone: a zone outage must not cut the other zone's workers off from their sources.
      natGateways: 2,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      flowLogs: {
        all: { destination: ec2.FlowLogDestination.toS3(logBucket, 'vpc-flow-logs/') },
      },
    });
    // Every byte an import writes goes to S3: through the (free) gateway endpoint rather than
    // paying NAT processing for each terabyte.
    vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    return vpc;
  }
}
