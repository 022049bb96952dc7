import { Aws, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeRegistryLogin } from './container-image.ts';
import type { FerryConfig } from './ferry-config.ts';
import { METRICS_EMF_INTERVAL_S } from './ferry-metrics.ts';
import type { Redis } from './redis.ts';
import {
  queueEnvironment,
  queueSecrets,
  ROLLBACK_ON_FAILURE,
  serviceLogging,
} from './service-environment.ts';

export interface AutoscalerTaskProps {
  cluster: ecs.Cluster;
  image: ecs.ContainerImage;
  redis: Redis;
  /** The service whose desired count the autoscaler owns. */
  workerService: ecs.BaseService;
  worker: FerryConfig['worker'];
}

/**
 * Ferry's autoscaler in `ecs` mode: exactly one task, which sets the worker service's desired count
 * from the queue (Redis) and the fleet's CPU and memory (CloudWatch).
 */
export class AutoscalerTask extends Construct {
  readonly service: ecs.FargateService;
  readonly taskRole: iam.Role;

  constructor(scope: Construct, id: string, props: AutoscalerTaskProps) {
    super(scope, id);
    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Ferry autoscaler: read and set the worker service, read its metrics',
    });
    this.taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:UpdateService', 'ecs:DescribeServices'],
        resources: [props.workerService.serviceArn],
      }),
    );
    this.taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
    );
    Validations.of(this.taskRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:GetMetricData supports no resource-level permissions: "*" is the only resource IAM accepts for it. It reads metrics only',
    });

    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      taskRole: this.taskRole,
      cpu: 256,
      memoryLimitMiB: 512,
    });
    taskDefinition.addContainer('autoscaler', {
      image: props.image,
      command: ['autoscaler'],
      environment: {
        ...queueEnvironment(props.redis),
        AUTOSCALER_MODE: 'ecs',
        ECS_CLUSTER: props.cluster.clusterName,
        ECS_SERVICE: props.workerService.serviceName,
        AWS_REGION: Aws.REGION,
        MIN_WORKERS: String(props.worker.minWorkers),
        MAX_WORKERS: String(props.worker.maxWorkers),
        // The backlog rule counts job slots: it must know how many each worker runs.
        WORKER_CONCURRENCY: String(props.worker.concurrency),
        METRICS_EMF_INTERVAL_S: String(METRICS_EMF_INTERVAL_S),
      },
      secrets: queueSecrets(props.redis),
      logging: serviceLogging(this, 'autoscaler'),
    });
    acknowledgeRegistryLogin(taskDefinition);
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'These variables are configuration (mode, cluster and service names, fleet bounds, the Redis URL without its password); REDIS_PASSWORD comes from Secrets Manager as an ECS secret',
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition,
      desiredCount: 1,
      // Never two at once, not even during a deployment: two control loops would fight over the count.
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      circuitBreaker: ROLLBACK_ON_FAILURE,
      securityGroups: [
        new ec2.SecurityGroup(this, 'SecurityGroup', {
          vpc: props.cluster.vpc,
          description: 'Ferry autoscaler: no inbound traffic; out to Redis, ECS and CloudWatch',
        }),
      ],
    });
  }
}
