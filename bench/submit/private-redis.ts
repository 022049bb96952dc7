import { Child } from '../processes.ts';
import { freePort, Redis } from '../workspace.ts';

export interface PrivateRedis {
  url: string;
  server: Child;
  /** A client for the benchmark's own reads (INFO, MEMORY USAGE), not counted anywhere. */
  client: Redis;
  /** INFO memory's used_memory: what the data set (and the server's own overhead) takes. */
  usedMemory(): Promise<number>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A redis-server of the submit scenario's own, without persistence: its used_memory counts this
 * run's imports and nothing else's, and no fsync stands between the API and its answers.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const server = new Child(
    'redis-server',
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {},
  );
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch {
      if (!server.running || Date.now() > deadline) {
        server.kill();
        throw new Error(`redis-server did not start on port ${port}: ${server.output()}`);
      }
      client.disconnect();
      await sleep(50);
    }
  }
  return {
    url,
    server,
    client,
    async usedMemory() {
      const info = await client.info('memory');
      return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
    },
    async close() {
      client.disconnect();
      await server.stop();
    },
  };
}
