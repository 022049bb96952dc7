import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FerryAlarms } from './alarms.ts';
import {
  FerryMetricName,
  failedImportRate,
  ferryMetric,
  redisNodesMax,
  runningTasks,
} from './ferry-metrics.ts';

export interface FerryDashboardProps {
  workerService: ecs.BaseService;
  apiService: ecs.BaseService;
  autoscalerService: ecs.BaseService;
  eventsQueue: sqs.IQueue;
  eventsDeadLetterQueue: sqs.IQueue;
  redisNodeIds: string[];
  alarms: FerryAlarms;
}

const WIDTH = 8;
const HEIGHT = 6;

/** One page for an operator: the queue, the fleet working it, and the bytes it moves. */
export class FerryDashboard extends Construct {
  constructor(scope: Construct, id: string, props: FerryDashboardProps) {
    super(scope, id);
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: WIDTH, height: HEIGHT });
    const fiveMinutes = Duration.minutes(5);

    new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [new cloudwatch.TextWidget({ markdown: '## Queue', width: 24, height: 1 })],
        [
          graph('Jobs', [
            ferryMetric(FerryMetricName.waitingJobs, 'Maximum'),
            ferryMetric(FerryMetricName.activeJobs, 'Maximum'),
          ]),
          graph('Oldest waiting job (s)', [ferryMetric(FerryMetricName.oldestWaitingJobAge, 'Maximum')]),
          graph('Import events', [
            props.eventsQueue.metricApproximateNumberOfMessagesVisible({ label: 'Waiting' }),
            props.eventsDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'Dead letters' }),
          ]),
        ],
        [new cloudwatch.TextWidget({ markdown: '## Fleet', width: 24, height: 1 })],
        [
          graph('Running tasks', [
            runningTasks(props.workerService, 'Workers'),
            runningTasks(props.apiService, 'API'),
            runningTasks(props.autoscalerService, 'Autoscaler'),
          ]),
          graph('Workers: CPU and memory (%)', [
            props.workerService.metricCpuUtilization({ label: 'CPU' }),
            props.workerService.metricMemoryUtilization({ label: 'Memory' }),
          ]),
          graph('API: CPU and memory (%)', [
            props.apiService.metricCpuUtilization({ label: 'CPU' }),
            props.apiService.metricMemoryUtilization({ label: 'Memory' }),
          ]),
        ],
        [new cloudwatch.TextWidget({ markdown: '## Transfer', width: 24, height: 1 })],
        [
          graph('Bytes written to S3', [ferryMetric(FerryMetricName.bytesTransferred, 'Sum', fiveMinutes)]),
          graph(
            'Imports finished',
            [
              ferryMetric(FerryMetricName.importsCompleted, 'Sum', fiveMinutes),
              ferryMetric(FerryMetricName.importsFailed, 'Sum', fiveMinutes),
              ferryMetric(FerryMetricName.importsCanceled, 'Sum', fiveMinutes),
            ],
            [failedImportRate(fiveMinutes)],
          ),
          graph('Redis (%)', [
            redisNodesMax('DatabaseMemoryUsagePercentage', props.redisNodeIds, 'Memory'),
            redisNodesMax('EngineCPUUtilization', props.redisNodeIds, 'Engine CPU'),
          ]),
        ],
        [new cloudwatch.TextWidget({ markdown: '## Workers', width: 24, height: 1 })],
        [
          graph(
            'Imports running',
            // Each worker writes one line a minute: their sum per minute is the fleet's count.
            [ferryMetric(FerryMetricName.activeImports, 'Sum')],
            [ferryMetric(FerryMetricName.desiredWorkers, 'Maximum')],
          ),
          graph('Part retries and checkpoint writes', [
            ferryMetric(FerryMetricName.partRetries, 'Sum', fiveMinutes),
            ferryMetric(FerryMetricName.checkpointWrites, 'Sum', fiveMinutes),
          ]),
          graph(
            'Provider rate limits',
            [ferryMetric(FerryMetricName.rateLimitPauses, 'Sum', fiveMinutes)],
            [ferryMetric(FerryMetricName.rateLimitWaitSeconds, 'Sum', fiveMinutes)],
          ),
        ],
        [
          graph(
            'Memory budget waits',
            [ferryMetric(FerryMetricName.memoryBudgetWaits, 'Sum', fiveMinutes)],
            [ferryMetric(FerryMetricName.memoryBudgetWaitSeconds, 'Sum', fiveMinutes)],
          ),
        ],
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: props.alarms.all(),
            width: 24,
            height: 3,
          }),
        ],
      ],
    });
  }
}
