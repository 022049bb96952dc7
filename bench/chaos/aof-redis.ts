import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDebianPackages } from '@ferry/local-stack';
import { Redis } from '../workspace.ts';

export interface AofRedis {
  url: string;
  /** SIGKILL, then the same server again on the same port and files: only its AOF carries over. */
  restart(): Promise<{ downMs: number }>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A Redis of the chaos run's own, with the append-only file on and fsynced on every write, as a
 * production Redis that must survive its own crash is run: a SIGKILL loses nothing it acknowledged.
 */
export async function startAofRedis(tmpDir: string, port: number): Promise<AofRedis> {
  const binary = ensureDebianPackages(['redis-server']).get('redis-server') as string;
  const dir = mkdtempSync(join(tmpDir, 'chaos-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--protected-mode',
    'no',
  ];
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess;
  const start = async () => {
    child = spawn(binary, args, { stdio: 'ignore' });
    for (let i = 0; i < 200; i++) {
      const client = new Redis(url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      client.on('error', () => {});
      const up = await client
        .connect()
        .then(() => client.ping())
        .catch(() => null);
      client.disconnect();
      // LOADING while it replays the AOF: not up yet.
      if (up === 'PONG') return;
      await sleep(50);
    }
    throw new Error(`redis-server on port ${port} did not answer`);
  };
  const stop = async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url,
    restart: async () => {
      const at = Date.now();
      await stop();
      await start();
      return { downMs: Date.now() - at };
    },
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
