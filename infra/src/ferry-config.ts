import type { Node } from 'constructs';
import { ContextValues } from './context-values.ts';

/** An existing VPC: imported from its ids, since a lookup would need AWS credentials at synth. */
export interface ExistingVpc {
  vpcId: string;
  availabilityZones: string[];
  publicSubnetIds: string[];
  privateSubnetIds: string[];
}

export interface Ec2SpotCapacity {
  /** Several types, so a reclaim of one Spot pool does not take the whole fleet. */
  instanceTypes: string[];
  maxInstances: number;
}

/** What one deployment chooses; everything else about the stack is fixed. */
export interface FerryConfig {
  /** Buckets the stack creates and the only ones the worker may write; empty: one, named by CloudFormation. */
  destinationBuckets: string[];
  vpc: ExistingVpc | undefined;
  /** An ECR image URI; unset: the image is built from the repository's infra/Dockerfile. */
  image: string | undefined;
  /** Unset: the API listens on plain HTTP (port 80). */
  apiCertificateArn: string | undefined;
  /** An existing SNS topic every alarm notifies. */
  alarmTopicArn: string | undefined;
  /** IAM roles the worker may assume to read S3 sources in other accounts. */
  sourceRoleArns: string[];
  /** Buckets a transfer job's manifest may be read from (JOB_MANIFEST_BUCKETS); the API may read them. */
  jobManifestBuckets: string[];
  /** The workers' fleet-wide limits per HTTP origin (HTTP_HOST_LIMITS); unset: unlimited. */
  httpHostLimits: string | undefined;
  /** Workers on an EC2 Spot Auto Scaling group (Spot only) instead of Fargate. */
  ec2Spot: Ec2SpotCapacity | undefined;
  worker: {
    minWorkers: number;
    maxWorkers: number;
    concurrency: number;
    /** Workers that stay on on-demand Fargate whatever Spot does. */
    onDemandBase: number;
    cpu: number;
    memoryMiB: number;
  };
  api: { cpu: number; memoryMiB: number; minTasks: number; maxTasks: number };
  redis: { nodeType: string; replicas: number };
}

/**
 * The stack's environment: a region, since load balancer access logging names the region's log
 * delivery principal, and never an account. With both known CDK would look up the zones (and more)
 * with AWS credentials; without an account the template asks CloudFormation for them.
 */
export function readStackEnvironment(node: Node): { region: string } {
  return { region: new ContextValues(node).string('region') ?? 'us-east-1' };
}

/** Reads the deployment's choices from CDK context (`-c key=value`); names are documented in main.ts. */
export function readFerryConfig(node: Node): FerryConfig {
  const context = new ContextValues(node);
  const minWorkers = context.int('minWorkers', 1, 0, 1000);
  const maxWorkers = context.int('maxWorkers', 20, 1, 1000);
  if (maxWorkers < minWorkers) throw new Error('context "maxWorkers": must be at least minWorkers');
  const apiMinTasks = context.int('apiMinTasks', 2, 1, 100);
  const apiMaxTasks = context.int('apiMaxTasks', 6, 1, 100);
  if (apiMaxTasks < apiMinTasks) throw new Error('context "apiMaxTasks": must be at least apiMinTasks');
  return {
    destinationBuckets: context.list('destinationBuckets'),
    vpc: readExistingVpc(context),
    image: context.string('image'),
    apiCertificateArn: context.string('apiCertificateArn'),
    alarmTopicArn: context.string('alarmTopicArn'),
    sourceRoleArns: context.list('sourceRoleArns'),
    jobManifestBuckets: context.list('jobManifestBuckets'),
    httpHostLimits: context.string('httpHostLimits'),
    ec2Spot: context.boolean('ec2Spot', false)
      ? {
          instanceTypes: withDefault(context.list('ec2SpotInstanceTypes'), [
            'm6i.large',
            'm5.large',
            'm5a.large',
          ]),
          maxInstances: context.int('ec2SpotMaxInstances', 10, 1, 1000),
        }
      : undefined,
    worker: {
      minWorkers,
      maxWorkers,
      concurrency: context.int('workerConcurrency', 4, 1, 256),
      onDemandBase: context.int('workerOnDemandBase', 1, 0, 1000),
      cpu: context.int('workerCpu', 1024, 256, 16_384),
      memoryMiB: context.int('workerMemoryMiB', 2048, 512, 122_880),
    },
    api: {
      cpu: context.int('apiCpu', 512, 256, 16_384),
      memoryMiB: context.int('apiMemoryMiB', 1024, 512, 122_880),
      minTasks: apiMinTasks,
      maxTasks: apiMaxTasks,
    },
    redis: {
      nodeType: context.string('redisNodeType') ?? 'cache.m7g.large',
      // At least one replica: Multi-AZ failover needs a node to promote.
      replicas: context.int('redisReplicas', 1, 1, 5),
    },
  };
}

function readExistingVpc(context: ContextValues): ExistingVpc | undefined {
  const vpcId = context.string('vpcId');
  if (vpcId === undefined) return undefined;
  const vpc = {
    vpcId,
    availabilityZones: context.list('vpcAvailabilityZones'),
    publicSubnetIds: context.list('vpcPublicSubnetIds'),
    privateSubnetIds: context.list('vpcPrivateSubnetIds'),
  };
  for (const [key, list] of [
    ['vpcAvailabilityZones', vpc.availabilityZones],
    ['vpcPublicSubnetIds', vpc.publicSubnetIds],
    ['vpcPrivateSubnetIds', vpc.privateSubnetIds],
  ] as const) {
    if (list.length < 2) throw new Error(`context "${key}": two or more are required with vpcId (Multi-AZ)`);
    if (list.length !== vpc.availabilityZones.length) {
      throw new Error(`context "${key}": one per availability zone in vpcAvailabilityZones`);
    }
  }
  return vpc;
}

function withDefault(list: string[], defaults: string[]): string[] {
  return list.length > 0 ? list : defaults;
}
