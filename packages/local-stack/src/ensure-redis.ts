import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { installPackages } from './debian-packages.ts';
import { freePort } from './free-port.ts';

export interface RedisHandle {
  url: string;
  /** True when this process started the server (and so stops it on close). */
  started: boolean;
  close(): Promise<void>;
}

export interface EnsureRedisOptions {
  /** May we `apt-get install redis-server` when it is missing? Default: when running as root. */
  allowInstall?: boolean;
  log?: (line: string) => void;
}

/** Does a Redis server answer PING at `url` within a second? */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function findRedisServer(): string | null {
  for (const candidate of [
    '/usr/bin/redis-server',
    '/usr/local/bin/redis-server',
    '/usr/sbin/redis-server',
  ]) {
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' });
      return candidate;
    } catch {}
  }
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * Uses the Redis at `url` when one answers; otherwise starts the system's redis-server on a free
 * loopback port (installing Debian's package first when that is allowed), without persistence.
 */
export async function ensureRedis(url: string, options: EnsureRedisOptions = {}): Promise<RedisHandle> {
  const log = options.log ?? (() => {});
  if (await redisAnswers(url)) return { url, started: false, close: async () => {} };

  let binary = findRedisServer();
  const allowInstall = options.allowInstall ?? process.getuid?.() === 0;
  if (!binary && allowInstall) {
    installPackages(['redis-server'], log);
    binary = findRedisServer();
  }
  if (!binary) {
    throw new Error(
      `no Redis answers at ${url} and redis-server is not installed: install it with "apt-get install -y redis-server" (Debian/Ubuntu) or point REDIS_URL at a running Redis`,
    );
  }

  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ferry-redis-'));
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  const startedUrl = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(startedUrl))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server (${binary}) did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  log(`started redis-server on ${startedUrl}`);
  return {
    url: startedUrl,
    started: true,
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
