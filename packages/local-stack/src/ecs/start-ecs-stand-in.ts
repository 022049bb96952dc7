import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { awsJsonHandler } from './aws-json-protocol.ts';
import { cloudwatchApi } from './cloudwatch-api.ts';
import { type EcsClusters, ecsApi } from './ecs-api.ts';
import { EcsService } from './ecs-service.ts';
import { ServiceUsage } from './service-usage.ts';
import { type EcsTaskDefinition, resolveTaskDefinition } from './task-definition.ts';
import { startTaskProtectionAgent } from './task-protection-agent.ts';

export interface EcsStandInOptions {
  /** The region in ARNs and in the clients' AWS_REGION. Default us-east-1. */
  region?: string;
  /** How often every service reconciles and its tasks' CPU and memory are sampled. Default 1000. */
  tickMs?: number;
  /** A stream for each task's output lines, ended when the task exits; none = discarded. */
  taskOutput?: (service: string, taskId: string) => NodeJS.WritableStream;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

export interface EcsServiceSpec {
  /** Default `default`, as ECS's. */
  cluster?: string;
  name: string;
  /** Default 0. */
  desiredCount?: number;
  taskDefinition: EcsTaskDefinition;
}

export interface EcsStandIn {
  /** Where both the ECS and the CloudWatch API answer. */
  url: string;
  /**
   * The variables that point an AWS SDK client at the stand-in: the SDK's service-specific endpoint
   * variables and a region. Any credentials do (signatures are not checked), but the SDK needs some.
   */
  clientEnv: { AWS_ENDPOINT_URL_ECS: string; AWS_ENDPOINT_URL_CLOUDWATCH: string; AWS_REGION: string };
  /** A service running `desiredCount` tasks of its task definition from now on. */
  createService(spec: EcsServiceSpec): EcsService;
  service(name: string, cluster?: string): EcsService | undefined;
  /** Stops every task (each SIGTERM, SIGKILL after its stop timeout), then the servers. */
  close(): Promise<void>;
}

const ACCOUNT = '000000000000';

/**
 * ECS and CloudWatch in a box: a real HTTP server speaking the AWS SDK's protocols for the calls the
 * autoscaler makes (DescribeServices, UpdateService, GetMetricData) and a few more for tests
 * (ListTasks, DescribeTasks, StopTask), whose services run their tasks as real local processes,
 * each with its own task protection endpoint, and whose CloudWatch metrics are those processes'
 * measured CPU and memory. For tests of the production ECS path and for `ferry up --ecs`.
 */
export async function startEcsStandIn(options: EcsStandInOptions = {}): Promise<EcsStandIn> {
  const region = options.region ?? 'us-east-1';
  const now = options.now ?? Date.now;
  const clusters: EcsClusters = new Map();
  const usage = new Map<EcsService, ServiceUsage>();
  const agent = await startTaskProtectionAgent(now);
  const server = createServer(
    awsJsonHandler([
      ecsApi(clusters),
      cloudwatchApi((cluster, name) => {
        const service = clusters.get(cluster)?.get(name);
        return service && usage.get(service);
      }),
    ]),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  }).catch(async (error: unknown) => {
    await agent.close();
    throw error;
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let ticking = false;
  const tick = async (): Promise<void> => {
    if (ticking) return;
    ticking = true;
    try {
      for (const [service, measured] of usage) {
        service.reconcile();
        const pids = service
          .tasks()
          .flatMap((task) => (task.lastStatus === 'RUNNING' && task.pid !== undefined ? [task.pid] : []));
        await measured.sample(pids, now());
      }
    } finally {
      ticking = false;
    }
  };
  const timer = setInterval(() => void tick(), options.tickMs ?? 1000);
  timer.unref();

  return {
    url,
    clientEnv: { AWS_ENDPOINT_URL_ECS: url, AWS_ENDPOINT_URL_CLOUDWATCH: url, AWS_REGION: region },
    createService: (spec) => {
      const clusterName = spec.cluster ?? 'default';
      const cluster = clusters.get(clusterName) ?? new Map<string, EcsService>();
      if (cluster.has(spec.name)) throw new Error(`service ${spec.name} already exists in ${clusterName}`);
      const definition = resolveTaskDefinition(spec.taskDefinition);
      const { taskOutput } = options;
      const service = new EcsService({
        cluster: clusterName,
        name: spec.name,
        desiredCount: spec.desiredCount ?? 0,
        definition,
        scope: { region, account: ACCOUNT },
        agent,
        ...(taskOutput ? { taskOutput: (taskId: string) => taskOutput(spec.name, taskId) } : {}),
        now,
      });
      cluster.set(spec.name, service);
      clusters.set(clusterName, cluster);
      usage.set(service, new ServiceUsage(definition));
      service.reconcile();
      return service;
    },
    service: (name, cluster = 'default') => clusters.get(cluster)?.get(name),
    close: async () => {
      clearInterval(timer);
      await Promise.all([...usage.keys()].map((service) => service.close()));
      await agent.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
