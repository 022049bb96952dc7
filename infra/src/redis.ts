import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Not 6379: a default port is the first one scanners try (cdk-nag AwsSolutions-AEC5). */
export const REDIS_PORT = 6380;

export interface RedisProps {
  vpc: ec2.IVpc;
  nodeType: string;
  replicas: number;
}

/**
 * The queue, checkpoints and fleet-wide rate limits: one ElastiCache Redis replication group, a
 * replica in another zone to fail over to, TLS and an AUTH token.
 */
export class Redis extends Construct {
  /** `rediss://host:port`: REDIS_URL without the password, which comes as REDIS_PASSWORD. */
  readonly url: string;
  readonly authToken: secretsmanager.Secret;
  readonly connections: ec2.Connections;
  /** The member clusters' ids, for the per-node ElastiCache metrics. */
  readonly nodeIds: string[];

  constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    this.authToken = new secretsmanager.Secret(this, 'AuthToken', {
      description: 'REDIS_PASSWORD: the AUTH token of the Ferry Redis replication group',
      // Letters and digits only: ElastiCache refuses some punctuation in a token.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(this.authToken).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating an ElastiCache AUTH token takes a ModifyReplicationGroup with the ROTATE strategy and a restart of every Ferry task; a Secrets Manager rotation would change the secret without the server',
    });

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Ferry Redis: reachable from the Ferry services only',
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({
      securityGroups: [securityGroup],
      defaultPort: ec2.Port.tcp(REDIS_PORT),
    });

    const subnets = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: 'Ferry Redis: the private subnets',
      subnetIds: props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
    });
    const parameters = new elasticache.CfnParameterGroup(this, 'Parameters', {
      cacheParameterGroupFamily: 'redis7',
      description: 'Ferry Redis: BullMQ settings',
      // BullMQ requires it: an evicted key is a lost job or a job's lost lock.
      properties: { 'maxmemory-policy': 'noeviction' },
    });

    const group = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupDescription: 'Ferry queue, checkpoints and rate limits',
      engine: 'redis',
      engineVersion: '7.1',
      cacheNodeType: props.nodeType,
      numCacheClusters: 1 + props.replicas,
      multiAzEnabled: true,
      automaticFailoverEnabled: true,
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      authToken: this.authToken.secretValue.unsafeUnwrap(),
      port: REDIS_PORT,
      cacheSubnetGroupName: subnets.ref,
      cacheParameterGroupName: parameters.ref,
      securityGroupIds: [securityGroup.securityGroupId],
      snapshotRetentionLimit: 3,
      autoMinorVersionUpgrade: true,
    });
    this.url = `rediss://${group.attrPrimaryEndPointAddress}:${group.attrPrimaryEndPointPort}`;
    // ElastiCache names a replication group's clusters <group id>-001, -002, ...
    this.nodeIds = Array.from(
      { length: 1 + props.replicas },
      (_, index) => `${group.ref}-${String(index + 1).padStart(3, '0')}`,
    );
  }
}
