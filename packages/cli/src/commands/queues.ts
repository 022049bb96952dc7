import { readPublishedStatus } from '@ferry/autoscaler/published-status';
import { parseEnv, QueueEnvFields, StoreKeys, UnfedImports } from '@ferry/shared';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';

const QueuesEnv = z.object({
  REDIS_URL: QueueEnvFields.REDIS_URL,
  REDIS_PASSWORD: QueueEnvFields.REDIS_PASSWORD,
  FERRY_QUEUE: QueueEnvFields.FERRY_QUEUE,
});

/**
 * `ferry queues`: job counts by state, the imports queued with no job yet (lazy queueing), the
 * workers connected, and the autoscaler's current and desired worker counts with its reason (as it
 * last published them in Redis), read from Redis.
 */
export async function queuesCommand(): Promise<number> {
  const env = parseEnv(QueuesEnv);
  const connection = new Redis(env.REDIS_URL, {
    maxRetriesPerRequest: 1,
    ...(env.REDIS_PASSWORD === undefined ? {} : { password: env.REDIS_PASSWORD }),
  });
  const queue = new Queue(env.FERRY_QUEUE, { connection });
  try {
    const counts = await queue.getJobCounts(
      'waiting',
      'prioritized',
      'active',
      'delayed',
      'completed',
      'failed',
    );
    const workers = await queue.getWorkersCount();
    process.stdout.write(`queue ${env.FERRY_QUEUE} at ${new URL(env.REDIS_URL).host}\n`);
    for (const [state, count] of Object.entries(counts))
      process.stdout.write(`  ${state.padEnd(12)} ${count}\n`);
    const unfed = await new UnfedImports(connection, new StoreKeys(env.FERRY_QUEUE)).waiting();
    process.stdout.write(`  ${'unfed'.padEnd(12)} ${unfed.count}\n`);
    process.stdout.write(`  ${'workers'.padEnd(12)} ${workers} connected\n`);
    const scaling = await readPublishedStatus(connection, env.FERRY_QUEUE);
    process.stdout.write(
      scaling
        ? `  ${'autoscaler'.padEnd(12)} ${scaling.mode}: ${scaling.current ?? '?'} current (${scaling.pending ?? 0} starting), ${scaling.desired ?? '?'} desired: ${scaling.reason ?? 'no decision yet'}\n`
        : `  ${'autoscaler'.padEnd(12)} none running\n`,
    );
    return 0;
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
