import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FerryMetricName, failedImportRate, ferryMetric, redisNodesMax } from './ferry-metrics.ts';

export interface FerryAlarmsProps {
  eventsDeadLetterQueue: sqs.IQueue;
  redisNodeIds: string[];
  /** Every alarm notifies this topic on ALARM and on OK; unset: the alarms only change state. */
  alarmTopicArn: string | undefined;
}

/** A job waiting this long means the fleet is not keeping up (or not running at all). */
export const OLDEST_WAITING_JOB_AGE_S = 900;
export const FAILED_IMPORT_RATE_PERCENT = 10;
/** With noeviction Redis refuses writes when full: there must be time to scale the node up first. */
export const REDIS_MEMORY_PERCENT = 75;
/** Of the Redis engine's own thread (EngineCPUUtilization), not the host's. */
export const REDIS_CPU_PERCENT = 80;

/** What pages an operator: imports stuck or failing, events undeliverable, Redis near its limits. */
export class FerryAlarms extends Construct {
  readonly oldestWaitingJob: cloudwatch.Alarm;
  readonly eventsDeadLetters: cloudwatch.Alarm;
  readonly failedImports: cloudwatch.Alarm;
  readonly redisMemory: cloudwatch.Alarm;
  readonly redisCpu: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: FerryAlarmsProps) {
    super(scope, id);
    this.oldestWaitingJob = new cloudwatch.Alarm(this, 'OldestWaitingJob', {
      alarmDescription: `A job has waited more than ${OLDEST_WAITING_JOB_AGE_S} s for a worker`,
      metric: ferryMetric(FerryMetricName.oldestWaitingJobAge, 'Maximum'),
      threshold: OLDEST_WAITING_JOB_AGE_S,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      // No datapoint is not an empty queue (that publishes 0): the alarm says it does not know.
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
    this.eventsDeadLetters = new cloudwatch.Alarm(this, 'EventsDeadLetters', {
      alarmDescription: 'Import events could not be consumed and were moved to the dead-letter queue',
      metric: props.eventsDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.failedImports = new cloudwatch.Alarm(this, 'FailedImports', {
      alarmDescription: `More than ${FAILED_IMPORT_RATE_PERCENT}% of the imports that finished failed`,
      metric: failedImportRate(Duration.minutes(5)),
      threshold: FAILED_IMPORT_RATE_PERCENT,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.redisMemory = new cloudwatch.Alarm(this, 'RedisMemory', {
      alarmDescription: `A Redis node is more than ${REDIS_MEMORY_PERCENT}% full; at 100% it refuses new jobs`,
      metric: redisNodesMax('DatabaseMemoryUsagePercentage', props.redisNodeIds, 'Redis memory (%)'),
      threshold: REDIS_MEMORY_PERCENT,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
    this.redisCpu = new cloudwatch.Alarm(this, 'RedisCpu', {
      alarmDescription: `A Redis node's engine thread is more than ${REDIS_CPU_PERCENT}% busy`,
      metric: redisNodesMax('EngineCPUUtilization', props.redisNodeIds, 'Redis engine CPU (%)'),
      threshold: REDIS_CPU_PERCENT,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });

    if (props.alarmTopicArn) {
      const notify = new actions.SnsAction(sns.Topic.fromTopicArn(this, 'Topic', props.alarmTopicArn));
      for (const alarm of this.all()) {
        alarm.addAlarmAction(notify);
        alarm.addOkAction(notify);
      }
    }
  }

  all(): cloudwatch.Alarm[] {
    return [
      this.oldestWaitingJob,
      this.eventsDeadLetters,
      this.failedImports,
      this.redisMemory,
      this.redisCpu,
    ];
  }
}
