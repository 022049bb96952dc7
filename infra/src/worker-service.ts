import { Aws, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeRegistryLogin } from './container-image.ts';
import { grantDestinationWrites } from './destination-access.ts';
import type { FerryConfig } from './ferry-config.ts';
import { METRICS_EMF_INTERVAL_S } from './ferry-metrics.ts';
import type { Redis } from './redis.ts';
import type { FerrySecrets } from './secrets.ts';
import {
  queueEnvironment,
  queueSecrets,
  ROLLBACK_ON_FAILURE,
  serviceLogging,
} from './service-environment.ts';
import type { SpotCapacity } from './spot-capacity.ts';

/** How long ECS waits between SIGTERM and SIGKILL: the most Fargate allows. */
export const WORKER_STOP_TIMEOUT_S = 120;
/**
 * The worker's own drain deadline (at most 100, services/worker/src/env.ts), inside the stop
 * timeout: parts in flight finish or are handed back, with the rest left to close connections.
 */
export const WORKER_DRAIN_TIMEOUT_S = 100;

export interface WorkerServiceProps {
  cluster: ecs.Cluster;
  /** Set: workers run on these EC2 Spot instances; unset: on Fargate and Fargate Spot. */
  spotCapacity: SpotCapacity | undefined;
  image: ecs.ContainerImage;
  redis: Redis;
  secrets: FerrySecrets;
  destinationBuckets: s3.Bucket[];
  /** Where the workers publish completion events (EVENTS_SQS_QUEUE_URL). */
  eventsQueue: sqs.IQueue;
  sourceRoleArns: string[];
  /** HTTP_HOST_LIMITS; unset: unlimited. */
  httpHostLimits: string | undefined;
  worker: FerryConfig['worker'];
}

/**
 * The import workers. Their count belongs to Ferry's autoscaler (ECS_SERVICE): no ECS application
 * autoscaling here, and no desired count in the template, so a deployment never resets the fleet.
 */
export class WorkerService extends Construct {
  readonly service: ecs.BaseService;
  readonly taskRole: iam.Role;

  constructor(scope: Construct, id: string, props: WorkerServiceProps) {
    super(scope, id);
    const onEc2Spot = props.spotCapacity !== undefined;
    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Ferry worker: write the destination buckets, send import events, protect its own task',
    });
    const taskDefinition = onEc2Spot
      ? new ecs.Ec2TaskDefinition(this, 'Task', {
          taskRole: this.taskRole,
          networkMode: ecs.NetworkMode.AWS_VPC,
        })
      : new ecs.FargateTaskDefinition(this, 'Task', {
          taskRole: this.taskRole,
          cpu: props.worker.cpu,
          memoryLimitMiB: props.worker.memoryMiB,
        });
    taskDefinition.addContainer('worker', {
      image: props.image,
      command: ['worker'],
      ...(onEc2Spot ? { cpu: props.worker.cpu, memoryLimitMiB: props.worker.memoryMiB } : {}),
      stopTimeout: Duration.seconds(WORKER_STOP_TIMEOUT_S),
      environment: {
        ...queueEnvironment(props.redis),
        S3_REGION: Aws.REGION,
        WORKER_CONCURRENCY: String(props.worker.concurrency),
        DRAIN_TIMEOUT_S: String(WORKER_DRAIN_TIMEOUT_S),
        METRICS_EMF_INTERVAL_S: String(METRICS_EMF_INTERVAL_S),
        EVENTS_SQS_QUEUE_URL: props.eventsQueue.queueUrl,
        ...(props.httpHostLimits ? { HTTP_HOST_LIMITS: props.httpHostLimits } : {}),
        // Fargate has no instance metadata to watch; ECS sends SIGTERM on a Fargate Spot reclaim.
        ...(onEc2Spot ? { SPOT_WATCH: '1' } : {}),
      },
      secrets: {
        ...queueSecrets(props.redis),
        FERRY_SECRET_KEY: ecs.Secret.fromSecretsManager(props.secrets.secretKey),
      },
      logging: serviceLogging(this, 'worker'),
    });

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.cluster.vpc,
      description: 'Ferry workers: no inbound traffic; out to sources, S3 and Redis',
    });
    const common = {
      cluster: props.cluster,
      taskDefinition,
      securityGroups: [securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      circuitBreaker: ROLLBACK_ON_FAILURE,
      // A deployment replaces workers while the old ones drain their imports back to the queue.
      minHealthyPercent: 50,
      maxHealthyPercent: 200,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    };
    this.service = props.spotCapacity
      ? new ecs.Ec2Service(this, 'Service', {
          ...common,
          capacityProviderStrategies: [
            { capacityProvider: props.spotCapacity.capacityProvider.capacityProviderName, weight: 1 },
          ],
        })
      : new ecs.FargateService(this, 'Service', {
          ...common,
          assignPublicIp: false,
          // A base of on-demand workers keeps imports moving when Spot capacity is reclaimed;
          // everything above it goes to Fargate Spot. Interrupted imports resume from checkpoints.
          capacityProviderStrategies: [
            ...(props.worker.onDemandBase > 0
              ? [{ capacityProvider: 'FARGATE', base: props.worker.onDemandBase, weight: 0 }]
              : []),
            { capacityProvider: 'FARGATE_SPOT', weight: 1 },
          ],
        });

    grantDestinationWrites(this.taskRole, props.destinationBuckets);
    props.eventsQueue.grantSendMessages(this.taskRole);
    // While it holds imports the worker turns on ECS scale-in protection for its own task.
    props.cluster.grantTaskProtection(this.taskRole);
    if (props.sourceRoleArns.length > 0) {
      this.taskRole.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: props.sourceRoleArns }),
      );
    }
    Validations.of(this.taskRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${taskArnPattern(props.cluster)}]`,
      reason:
        'Task protection is set by each worker on its own task, whose id is known only at run time; the grant is limited to this cluster',
    });
    acknowledgeRegistryLogin(taskDefinition);
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'These variables are configuration (URLs, sizes, the queue name); every secret (FERRY_SECRET_KEY, REDIS_PASSWORD) comes from Secrets Manager as an ECS secret',
    });
  }
}

/** The cluster's task ARNs with any id, as cdk-nag spells the resource of the task protection grant. */
function taskArnPattern(cluster: ecs.Cluster): string {
  const stack = Stack.of(cluster);
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  const clusterId = stack.getLogicalId(cluster.node.defaultChild as ecs.CfnCluster);
  return `arn:<AWS::Partition>:ecs:${region}:${account}:task/<${clusterId}>/*`;
}
