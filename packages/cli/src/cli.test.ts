import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { s3Backends, testRedisUrl, uniqueName } from '@ferry/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY } from './paths.ts';

function runCli(args: string[], env: NodeJS.ProcessEnv, onSpawn?: (child: ChildProcess) => void) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    onSpawn?.(child);
    child.on('exit', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

describe('ferry CLI (real processes)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-cli-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('demo: starts the stack, imports a sample over the API and verifies it byte for byte', async () => {
    const result = await runCli(['demo', '--size', '24'], {
      FERRY_DATA_DIR: dataDir,
      REDIS_URL: testRedisUrl(),
      FERRY_QUEUE: uniqueName('cli-demo'),
      PORT: '0',
      LOG_LEVEL: 'info',
    });
    expect(result.stderr).toContain('verified');
    expect(result.stdout).toContain('"status": "completed"');
    expect(result.code).toBe(0);
  }, 120_000);

  // Ceph is there when the suite runs against it (FERRY_TEST_RADOSGW is not 0).
  it.runIf(s3Backends().some((backend) => backend.name === 'radosgw'))(
    'demo --s3 radosgw: the same on a one-node Ceph cluster of its own',
    async () => {
      const result = await runCli(['demo', '--size', '16', '--s3', 'radosgw'], {
        FERRY_DATA_DIR: dataDir,
        REDIS_URL: testRedisUrl(),
        FERRY_QUEUE: uniqueName('cli-demo-rgw'),
        PORT: '0',
        LOG_LEVEL: 'info',
      });
      expect(result.stderr).toMatch(/started Ceph [\d.]+ radosgw/);
      expect(result.stderr).toContain('into radosgw');
      expect(result.stderr).toContain('verified');
      expect(result.code).toBe(0);
    },
    120_000,
  );

  it('worker: SIGTERM with nothing in flight exits 0 promptly', async () => {
    let ready!: Promise<ChildProcess>;
    const done = runCli(
      ['worker'],
      {
        REDIS_URL: testRedisUrl(),
        FERRY_QUEUE: uniqueName('cli-worker'),
        FERRY_DEV: '1',
        LOG_LEVEL: 'info',
      },
      (child) => {
        // Signalled before its handlers are installed, a process just dies: wait for it to say so.
        ready = new Promise((resolve) => {
          let seen = '';
          child.stdout?.on('data', (d: Buffer) => {
            seen += d.toString();
            if (seen.includes('worker ready')) resolve(child);
          });
        });
      },
    );
    (await ready).kill('SIGTERM');
    const result = await done;
    expect(result.code).toBe(0);
  }, 30_000);

  it('autoscaler and queues: a dry-run autoscaler runs, and queues shows its current and desired workers', async () => {
    const env = {
      REDIS_URL: testRedisUrl(),
      FERRY_QUEUE: uniqueName('cli-autoscaler'),
      AUTOSCALER_MODE: 'dry-run',
      SCALE_INTERVAL_S: '1',
      AUTOSCALER_PORT: '0',
      MIN_WORKERS: '2',
      LOG_LEVEL: 'warn',
    };
    let child: ChildProcess | undefined;
    const autoscaler = runCli(['autoscaler'], env, (spawned) => {
      child = spawned;
    });
    await expect
      .poll(async () => (await runCli(['queues'], env)).stdout, { timeout: 15_000, interval: 500 })
      .toMatch(/autoscaler\s+dry-run: \d+ current \(0 starting\), 2 desired: backlog 0 jobs/);
    child?.kill('SIGTERM');
    expect((await autoscaler).code).toBe(0);
    // Once it has stopped, its last word is gone rather than taken for the current state.
    const after = (await runCli(['queues'], env)).stdout;
    expect(after).toMatch(/autoscaler\s+none running/);
    // Imports queued with no job yet (lazy queueing) are shown too.
    expect(after).toMatch(/unfed\s+0/);
  }, 60_000);

  it('rejects unknown commands and bad arguments with usage and exit code 2', async () => {
    expect((await runCli(['frobnicate'], {})).code).toBe(2);
    expect((await runCli(['import', 'https://x.example/f'], {})).code).toBe(2);
    expect((await runCli(['up', '--autoscale', '0'], {})).code).toBe(2);
    expect((await runCli(['up', '--s3', 'minio'], {})).code).toBe(2);
    expect((await runCli(['autoscaler', 'frobnicate'], {})).code).toBe(2);
  });

  it('says clearly when the API is unreachable', async () => {
    const result = await runCli(['status', 'imp_x'], {
      FERRY_API_URL: 'http://127.0.0.1:9',
      FERRY_API_KEY: 'k',
      FERRY_DATA_DIR: dataDir,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('API_UNREACHABLE');
  });
});
