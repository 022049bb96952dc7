import { startLocalStack } from '../stack/local-stack.ts';

/**
 * `ferry up`: the whole local stack until Ctrl-C; with `autoscaleTo`, the autoscaler (local mode)
 * runs 1 to that many workers by the queue's depth instead of a fixed 2.
 */
export async function up(autoscaleTo?: number): Promise<number> {
  const log = (line: string) => process.stderr.write(`ferry: ${line}\n`);
  const workers = autoscaleTo === undefined ? '2 workers' : `the autoscaler, 1 to ${autoscaleTo} workers`;
  log(`starting the local stack (Redis, S3, API, ${workers})...`);
  const stack = await startLocalStack({
    log,
    sampleSizeMiB: 64,
    ...(autoscaleTo === undefined ? {} : { autoscaleTo }),
  });
  process.stdout.write(
    [
      '',
      'Ferry is up.',
      `  API          ${stack.apiUrl}   (OpenAPI: ${stack.apiUrl}/docs/json)`,
      `  API key      ${stack.apiKey}   (tenant "local")`,
      `  S3 endpoint  ${stack.s3Endpoint}   bucket "${stack.bucket}", path-style, any credentials`,
      `  Redis        ${stack.redisUrl}`,
      `  Logs         ${stack.logDir}/`,
      ...(stack.autoscalerUrl
        ? [`  Autoscaler   ${stack.autoscalerUrl}/status   (pnpm ferry queues shows it too)`]
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
