import { connectionFile } from '../paths.ts';
import { ECS_DEFAULT_MAX_WORKERS } from '../stack/local-ecs.ts';
import type { LocalS3Kind } from '../stack/local-s3-kind.ts';
import { startLocalStack } from '../stack/local-stack.ts';

/**
 * `ferry up`: the whole local stack until Ctrl-C; with `autoscaleTo`, the autoscaler (local mode)
 * runs 1 to that many workers by the queue's depth instead of a fixed 2; with `ecs`, the workers are
 * the tasks of a service in the ECS/CloudWatch stand-in and the autoscaler runs in `ecs` mode
 * against it (1 to `autoscaleTo` tasks, default 4), as in production; `s3` picks the S3 server
 * (fauxqs, embedded, or a one-node Ceph cluster's radosgw).
 */
export async function up(autoscaleTo?: number, s3: LocalS3Kind = 'fauxqs', ecs = false): Promise<number> {
  const log = (line: string) => process.stderr.write(`ferry: ${line}\n`);
  const workers = ecs
    ? `the ECS stand-in's worker service, the autoscaler in ecs mode sizing it 1 to ${autoscaleTo ?? ECS_DEFAULT_MAX_WORKERS} tasks`
    : autoscaleTo === undefined
      ? '2 workers'
      : `the autoscaler, 1 to ${autoscaleTo} workers`;
  log(`starting the local stack (Redis, S3 on ${s3}, API, ${workers})...`);
  const stack = await startLocalStack({
    log,
    sampleSizeMiB: 64,
    s3,
    ecs,
    ...(autoscaleTo === undefined ? {} : { autoscaleTo }),
  });
  const credentials =
    stack.s3.kind === 'fauxqs'
      ? 'any credentials'
      : `keys in ${connectionFile()} (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)`;
  process.stdout.write(
    [
      '',
      'Ferry is up.',
      `  API          ${stack.apiUrl}   (OpenAPI: ${stack.apiUrl}/docs/json)`,
      `  API key      ${stack.apiKey}   (tenant "local")`,
      `  S3 (${stack.s3.kind})${' '.repeat(Math.max(1, 7 - stack.s3.kind.length))}${stack.s3.endpoint}   bucket "${stack.bucket}", path-style, ${credentials}`,
      `  Redis        ${stack.redisUrl}`,
      `  Logs         ${stack.logDir}/`,
      ...(stack.autoscalerUrl
        ? [`  Autoscaler   ${stack.autoscalerUrl}/status   (pnpm ferry queues shows it too)`]
        : []),
      ...(stack.ecs
        ? [
            `  ECS          ${stack.ecs.url}   stand-in for ECS and CloudWatch: cluster "${stack.ecs.cluster}", service "${stack.ecs.service}"`,
            `               (AWS_ENDPOINT_URL_ECS and AWS_ENDPOINT_URL_CLOUDWATCH; each task's log is task-<id>.log)`,
          ]
        : []),
      '',
      'Try, in another terminal (the CLI finds this stack by itself):',
      `  pnpm ferry import ${stack.sampleUrl} s3://${stack.bucket}/sample.bin --wait`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  log('stopping (workers hand back what they hold)...');
  await stack.close();
  log('stopped');
  return 0;
}
