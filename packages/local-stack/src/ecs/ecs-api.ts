import { type AwsJsonService, AwsServiceError } from './aws-json-protocol.ts';
import type { EcsService, EcsTaskView } from './ecs-service.ts';

/** The stand-in's clusters: each one's services by name. */
export type EcsClusters = Map<string, Map<string, EcsService>>;

type Input = Record<string, unknown>;

/**
 * The ECS API operations the autoscaler and the tests call (awsJson1_1, target
 * AmazonEC2ContainerServiceV20141113): DescribeServices, UpdateService (desiredCount), ListTasks,
 * DescribeTasks and StopTask, with ECS's answers and errors (ClusterNotFoundException,
 * ServiceNotFoundException, InvalidParameterException; a missing service in DescribeServices is a
 * `MISSING` failure, not an error, as ECS has it).
 */
export function ecsApi(clusters: EcsClusters): AwsJsonService {
  const clusterOf = (input: Input): Map<string, EcsService> => {
    const name = lastSegment(optionalString(input, 'cluster') ?? 'default');
    const cluster = clusters.get(name);
    if (!cluster) throw new AwsServiceError('ClusterNotFoundException', 'Cluster not found.');
    return cluster;
  };
  const serviceOf = (cluster: Map<string, EcsService>, nameOrArn: string): EcsService => {
    const service = cluster.get(lastSegment(nameOrArn));
    if (!service) throw new AwsServiceError('ServiceNotFoundException', 'Service not found.');
    return service;
  };
  const findTask = (cluster: Map<string, EcsService>, idOrArn: string) => {
    for (const service of cluster.values()) {
      const task = service.task(idOrArn);
      if (task) return { service, task };
    }
    return undefined;
  };

  return {
    target: 'AmazonEC2ContainerServiceV20141113',
    jsonVersion: '1.1',
    operations: {
      DescribeServices: (input) => {
        const cluster = clusterOf(input);
        const names = stringList(input, 'services', 10);
        const found = names.map((name) => cluster.get(lastSegment(name)));
        return {
          services: found.filter((service) => service !== undefined).map(serviceShape),
          failures: names
            .filter((_, i) => found[i] === undefined)
            .map((name) => ({ arn: name, reason: 'MISSING' })),
        };
      },
      UpdateService: (input) => {
        const unsupported = Object.keys(input).filter(
          (key) => !['cluster', 'service', 'desiredCount'].includes(key),
        );
        if (unsupported.length > 0) {
          throw new AwsServiceError(
            'InvalidParameterException',
            `this stand-in changes desiredCount only, not ${unsupported.join(', ')}`,
          );
        }
        const service = serviceOf(clusterOf(input), requiredString(input, 'service'));
        const count = input.desiredCount;
        if (count !== undefined) {
          if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
            throw new AwsServiceError(
              'InvalidParameterException',
              'desiredCount must be a whole number, 0 or more.',
            );
          }
          service.setDesiredCount(count);
        }
        return { service: serviceShape(service) };
      },
      ListTasks: (input) => {
        const cluster = clusterOf(input);
        const serviceName = optionalString(input, 'serviceName');
        const desiredStatus = optionalString(input, 'desiredStatus') ?? 'RUNNING';
        if (desiredStatus !== 'RUNNING' && desiredStatus !== 'STOPPED') {
          throw new AwsServiceError('InvalidParameterException', 'desiredStatus must be RUNNING or STOPPED.');
        }
        const services = serviceName ? [serviceOf(cluster, serviceName)] : [...cluster.values()];
        return {
          taskArns: services
            .flatMap((service) => service.tasks())
            .filter((task) => task.desiredStatus === desiredStatus)
            .map((task) => task.arn),
        };
      },
      DescribeTasks: (input) => {
        const cluster = clusterOf(input);
        const ids = stringList(input, 'tasks', 100);
        const found = ids.map((id) => findTask(cluster, id));
        return {
          tasks: found.filter((hit) => hit !== undefined).map((hit) => taskShape(hit.service, hit.task)),
          failures: ids
            .filter((_, i) => found[i] === undefined)
            .map((id) => ({ arn: id, reason: 'MISSING' })),
        };
      },
      StopTask: (input) => {
        const cluster = clusterOf(input);
        const hit = findTask(cluster, requiredString(input, 'task'));
        if (!hit)
          throw new AwsServiceError('InvalidParameterException', 'The referenced task was not found.');
        const reason = optionalString(input, 'reason') ?? 'Task stopped by user';
        const stopped = hit.service.stopTask(hit.task.id, reason) ?? hit.task;
        return { task: taskShape(hit.service, stopped) };
      },
    },
  };
}

function serviceShape(service: EcsService) {
  const { desired, running, pending } = service.counts();
  const counts = { desiredCount: desired, runningCount: running, pendingCount: pending };
  const createdAt = seconds(service.createdAt);
  return {
    serviceArn: service.arn,
    serviceName: service.name,
    clusterArn: service.clusterArn,
    status: 'ACTIVE',
    ...counts,
    launchType: 'FARGATE',
    schedulingStrategy: 'REPLICA',
    taskDefinition: service.taskDefinitionArn,
    deployments: [
      {
        id: service.deploymentId,
        status: 'PRIMARY',
        taskDefinition: service.taskDefinitionArn,
        ...counts,
        failedTasks: service.failedTasks,
        launchType: 'FARGATE',
        rolloutState: running === desired && pending === 0 ? 'COMPLETED' : 'IN_PROGRESS',
        createdAt,
        updatedAt: createdAt,
      },
    ],
    events: service
      .events()
      .map((event) => ({ id: event.id, createdAt: seconds(event.createdAt), message: event.message })),
    createdAt,
  };
}

function taskShape(service: EcsService, task: EcsTaskView) {
  const times = {
    ...(task.startedAt === null ? {} : { startedAt: seconds(task.startedAt) }),
    ...(task.stoppingAt === null ? {} : { stoppingAt: seconds(task.stoppingAt) }),
    ...(task.stoppedAt === null ? {} : { stoppedAt: seconds(task.stoppedAt) }),
  };
  return {
    taskArn: task.arn,
    clusterArn: service.clusterArn,
    taskDefinitionArn: service.taskDefinitionArn,
    group: `service:${service.name}`,
    startedBy: service.deploymentId,
    launchType: 'FARGATE',
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    cpu: String(service.definition.cpu),
    memory: String(service.definition.memoryMiB),
    createdAt: seconds(task.createdAt),
    ...times,
    ...(task.stopCode === null ? {} : { stopCode: task.stopCode, stoppedReason: task.stoppedReason }),
    containers: [
      {
        name: service.definition.family,
        taskArn: task.arn,
        lastStatus: task.lastStatus,
        ...(task.pid === undefined ? {} : { runtimeId: String(task.pid) }),
        ...(task.exitCode === null ? {} : { exitCode: task.exitCode }),
      },
    ],
  };
}

/** awsJson timestamps: seconds since the epoch. */
function seconds(ms: number): number {
  return ms / 1000;
}

/** A name from a name or an ARN (`arn:aws:ecs:...:service/<cluster>/<name>`). */
function lastSegment(nameOrArn: string): string {
  return nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1);
}

function optionalString(input: Input, field: string): string | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new AwsServiceError('InvalidParameterException', `${field} must be a non-empty string.`);
  }
  return value;
}

function requiredString(input: Input, field: string): string {
  const value = optionalString(input, field);
  if (value === undefined) throw new AwsServiceError('InvalidParameterException', `${field} is required.`);
  return value;
}

function stringList(input: Input, field: string, max: number): string[] {
  const value = input[field];
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > max ||
    !value.every((item) => typeof item === 'string')
  ) {
    throw new AwsServiceError('InvalidParameterException', `${field} must list 1 to ${max} names or ARNs.`);
  }
  return value;
}
