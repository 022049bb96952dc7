import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ensureDebianPackages } from './debian-packages.ts';
import { redisAnswers } from './ensure-redis.ts';
import { freePortBelowEphemeralRange } from './free-port.ts';

export interface RestartableRedis {
  /** Stays the same across restarts: clients reconnect to the same address. */
  readonly url: string;
  readonly port: number;
  /** The server's working directory: its append-only file lives here across restarts. */
  readonly dir: string;
  /** The running server's pid; null while it is down. */
  readonly pid: number | null;
  /** SIGKILL, as a lost host or the OOM killer would; resolves once the server has exited. */
  kill(): Promise<void>;
  /** SHUTDOWN (the append-only file flushed, clients told nothing); resolves once it has exited. */
  shutdown(): Promise<void>;
  /** Starts it again on the same port and data, resolving once the data is loaded and it answers. */
  start(): Promise<void>;
  /** Stops it if it runs and removes its data. */
  close(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;

/**
 * A redis-server of a test's own, for outages: on a free loopback port (below the ephemeral range,
 * see freePortBelowEphemeralRange) with its own directory and
 * `appendonly yes` + `appendfsync always`, so a restart (even after SIGKILL) has every write the
 * server acknowledged, as a production Redis with AOF would. A test stops it, keeps it down as
 * long as it likes, and starts it again at the same address.
 */
export async function startRestartableRedis(): Promise<RestartableRedis> {
  // Installed from Debian's package when missing and running as root, as the Ceph tests do.
  const binary = ensureDebianPackages(['redis-server']).get('redis-server') as string;
  const port = await freePortBelowEphemeralRange();
  const dir = mkdtempSync(join(tmpdir(), 'ferry-restartable-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    if (child) throw new Error(`redis-server on port ${port} is already running`);
    let output = '';
    const started = spawn(
      binary,
      [
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
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    started.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    started.stderr.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    child = started;
    exited = new Promise((resolve) => started.once('exit', () => resolve()));
    void exited.then(() => {
      if (child === started) child = null;
    });
    // PING answers LOADING until the append-only file is read back: "answers" means loaded.
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await redisAnswers(url))) {
      if (started.exitCode !== null || Date.now() > deadline) {
        started.kill('SIGKILL');
        await exited;
        throw new Error(`redis-server did not start on port ${port}:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const kill = async (): Promise<void> => {
    child?.kill('SIGKILL');
    await exited;
  };

  const shutdown = async (): Promise<void> => {
    if (!child) return;
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    // The server closes the connection instead of answering.
    await client.call('SHUTDOWN').catch(() => {});
    client.disconnect();
    await exited;
  };

  await start();
  return {
    url,
    port,
    dir,
    get pid() {
      return child?.pid ?? null;
    },
    kill,
    shutdown,
    start,
    close: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
