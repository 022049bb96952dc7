import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { FerryAlarms } from './alarms.ts';
import { ApiService } from './api-service.ts';
import { AutoscalerTask } from './autoscaler-task.ts';
import { FerryCluster } from './cluster.ts';
import { ferryImage } from './container-image.ts';
import { FerryDashboard } from './dashboard.ts';
import { DestinationBuckets } from './destination-buckets.ts';
import type { FerryConfig } from './ferry-config.ts';
import { JobsBucket } from './jobs-bucket.ts';
import { createLogBucket } from './log-bucket.ts';
import { Network } from './network.ts';
import { EventsQueue } from './queue-events.ts';
import { Redis } from './redis.ts';
import { FerrySecrets } from './secrets.ts';
import { WorkerService } from './worker-service.ts';

export interface FerryStackProps extends StackProps {
  config: FerryConfig;
}

/** One Ferry deployment: the API, the workers and their autoscaler, Redis, buckets, alarms. */
export class FerryStack extends Stack {
  readonly cluster: FerryCluster;
  readonly redis: Redis;
  readonly destinations: DestinationBuckets;
  readonly jobs: JobsBucket;
  readonly events: EventsQueue;
  readonly secrets: FerrySecrets;
  readonly worker: WorkerService;
  readonly api: ApiService;
  readonly autoscaler: AutoscalerTask;
  readonly alarms: FerryAlarms;

  constructor(scope: Construct, id: string, props: FerryStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logBucket = createLogBucket(this);
    const { vpc } = new Network(this, 'Network', { existing: config.vpc, logBucket });
    this.cluster = new FerryCluster(this, 'Cluster', { vpc, ec2Spot: config.ec2Spot });
    this.redis = new Redis(this, 'Redis', { vpc, ...config.redis });
    this.destinations = new DestinationBuckets(this, 'Destinations', {
      names: config.destinationBuckets,
      logBucket,
    });
    this.jobs = new JobsBucket(this, 'Jobs', { logBucket });
    this.events = new EventsQueue(this, 'Events');
    this.secrets = new FerrySecrets(this, 'Secrets');
    const image = ferryImage(this, config.image);
    const cluster = this.cluster.cluster;

    this.worker = new WorkerService(this, 'Worker', {
      cluster,
      spotCapacity: this.cluster.spotCapacity,
      image,
      redis: this.redis,
      secrets: this.secrets,
      destinationBuckets: this.destinations.buckets,
      eventsQueue: this.events.queue,
      sourceRoleArns: config.sourceRoleArns,
      httpHostLimits: config.httpHostLimits,
      worker: config.worker,
    });
    this.api = new ApiService(this, 'Api', {
      cluster,
      image,
      redis: this.redis,
      secrets: this.secrets,
      logBucket,
      jobsBucket: this.jobs.bucket,
      jobManifestBuckets: config.jobManifestBuckets,
      certificateArn: config.apiCertificateArn,
      api: config.api,
    });
    this.autoscaler = new AutoscalerTask(this, 'Autoscaler', {
      cluster,
      image,
      redis: this.redis,
      workerService: this.worker.service,
      worker: config.worker,
    });
    for (const client of [this.worker.service, this.api.service, this.autoscaler.service]) {
      this.redis.connections.allowDefaultPortFrom(client, 'Ferry service to Redis');
    }

    this.alarms = new FerryAlarms(this, 'Alarms', {
      eventsDeadLetterQueue: this.events.deadLetterQueue,
      redisNodeIds: this.redis.nodeIds,
      alarmTopicArn: config.alarmTopicArn,
    });
    new FerryDashboard(this, 'Dashboard', {
      workerService: this.worker.service,
      apiService: this.api.service,
      autoscalerService: this.autoscaler.service,
      eventsQueue: this.events.queue,
      eventsDeadLetterQueue: this.events.deadLetterQueue,
      redisNodeIds: this.redis.nodeIds,
      alarms: this.alarms,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    new CfnOutput(this, 'InitialApiKeySecret', {
      description: 'Secrets Manager secret holding the API key of the first tenant',
      value: this.secrets.initialApiKey.secretArn,
    });
    new CfnOutput(this, 'DestinationBucketNames', {
      value: this.destinations.buckets.map((bucket) => bucket.bucketName).join(','),
    });
    new CfnOutput(this, 'JobsBucketName', { value: this.jobs.bucket.bucketName });
    new CfnOutput(this, 'EventsQueueUrl', { value: this.events.queue.queueUrl });
  }
}
