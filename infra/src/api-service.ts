import { Aws, Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeRegistryLogin } from './container-image.ts';
import type { FerryConfig } from './ferry-config.ts';
import { grantJobsAccess } from './jobs-access.ts';
import type { Redis } from './redis.ts';
import type { FerrySecrets } from './secrets.ts';
import {
  queueEnvironment,
  queueSecrets,
  ROLLBACK_ON_FAILURE,
  serviceLogging,
} from './service-environment.ts';

const API_PORT = 8080;
/** Scale out before request latency grows; the API's work per request is small and CPU-bound. */
export const API_CPU_TARGET_PERCENT = 60;

export interface ApiServiceProps {
  cluster: ecs.Cluster;
  image: ecs.ContainerImage;
  redis: Redis;
  secrets: FerrySecrets;
  logBucket: s3.IBucket;
  /** JOBS_BUCKET: transfer jobs' manifests and reports. */
  jobsBucket: s3.Bucket;
  /** JOB_MANIFEST_BUCKETS: where a job's manifest may be read from. */
  jobManifestBuckets: string[];
  /** Unset: plain HTTP on port 80. */
  certificateArn: string | undefined;
  api: FerryConfig['api'];
}

/** The HTTP API on Fargate behind a public load balancer, scaled on its own CPU. */
export class ApiService extends Construct {
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly url: string;

  constructor(scope: Construct, id: string, props: ApiServiceProps) {
    super(scope, id);
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.api.cpu,
      memoryLimitMiB: props.api.memoryMiB,
    });
    taskDefinition.addContainer('api', {
      image: props.image,
      command: ['api'],
      portMappings: [{ containerPort: API_PORT }],
      environment: {
        ...queueEnvironment(props.redis),
        PORT: String(API_PORT),
        S3_REGION: Aws.REGION,
        JOBS_BUCKET: props.jobsBucket.bucketName,
        ...(props.jobManifestBuckets.length > 0
          ? { JOB_MANIFEST_BUCKETS: props.jobManifestBuckets.join(',') }
          : {}),
      },
      secrets: {
        ...queueSecrets(props.redis),
        FERRY_API_KEYS: ecs.Secret.fromSecretsManager(props.secrets.apiKeys),
        FERRY_SECRET_KEY: ecs.Secret.fromSecretsManager(props.secrets.secretKey),
      },
      logging: serviceLogging(this, 'api'),
    });
    grantJobsAccess(taskDefinition.taskRole, props.jobsBucket, props.jobManifestBuckets);
    acknowledgeRegistryLogin(taskDefinition);
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'These variables are configuration (the port, the Redis URL without its password, the queue name, the region, the jobs and manifest bucket names); FERRY_API_KEYS, FERRY_SECRET_KEY and REDIS_PASSWORD come from Secrets Manager as ECS secrets',
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      circuitBreaker: ROLLBACK_ON_FAILURE,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.cluster.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
    });
    this.loadBalancer.logAccessLogs(props.logBucket, 'alb');
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'The public entry point of the import API: clients come from anywhere, and every request is authenticated with an API key',
    });

    const listener = props.certificateArn
      ? this.#httpsListener(props.certificateArn)
      : this.loadBalancer.addListener('Http', { port: 80, protocol: elbv2.ApplicationProtocol.HTTP });
    listener.addTargets('Api', {
      port: API_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.service],
      // Readiness pings Redis: a task that cannot reach the queue gets no requests.
      healthCheck: {
        path: '/readyz',
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
      // Requests are short (a submit, a status read): no need to keep a stopping task for long.
      deregistrationDelay: Duration.seconds(30),
    });
    this.url = `${props.certificateArn ? 'https' : 'http'}://${this.loadBalancer.loadBalancerDnsName}`;

    const scaling = this.service.autoScaleTaskCount({
      minCapacity: props.api.minTasks,
      maxCapacity: props.api.maxTasks,
    });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: API_CPU_TARGET_PERCENT,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.seconds(300),
    });
  }

  #httpsListener(certificateArn: string): elbv2.ApplicationListener {
    this.loadBalancer.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
    });
    return this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromArn(certificateArn)],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
    });
  }
}
