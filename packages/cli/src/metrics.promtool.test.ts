import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { startApi } from '@ferry/api';
import { startAutoscaler } from '@ferry/autoscaler';
import { ensureDebianPackages, startFileSource } from '@ferry/local-stack';
import { createTestBucket, newS3Client, randomFile, serviceEnv, uniqueName } from '@ferry/test-support';
import { startWorker } from '@ferry/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const API_KEY = 'promtool-test-key';
const file = randomFile(1024 * 1024);
afterAll(() => rmSync(file.dir, { recursive: true, force: true }));

/** `promtool check metrics` on one scrape: its exit status and what it said. */
function checkMetrics(promtool: string, exposition: string): { status: number | null; output: string } {
  const result = spawnSync(promtool, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

/** expect.poll cannot run in a hook. */
async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.text();
}

describe("every service's /metrics passes promtool check metrics (real Redis and S3)", () => {
  let promtool: string;
  const queue = uniqueName('promtool');
  const env = serviceEnv(queue, { FERRY_API_KEYS: `${API_KEY}:tenant-a`, PORT: '0', HOST: '127.0.0.1' });
  const closers: Array<() => Promise<void>> = [];
  const urls = { api: '', worker: '', autoscaler: '' };

  beforeAll(async () => {
    // Installed from Debian's `prometheus` package when missing and running as root; otherwise the
    // test fails saying how to install it: a linter that is not there must not pass quietly.
    promtool = ensureDebianPackages(['prometheus'], ['promtool']).get('promtool') as string;

    const api = await startApi(env);
    closers.push(() => api.close());
    const worker = startWorker(env);
    closers.push(() => worker.close());
    await worker.ready;
    const autoscaler = await startAutoscaler({
      ...env,
      AUTOSCALER_MODE: 'dry-run',
      AUTOSCALER_PORT: '0',
      AUTOSCALER_HOST: '127.0.0.1',
      SCALE_INTERVAL_S: '1',
    });
    closers.push(() => autoscaler.close());
    const source = await startFileSource({ root: file.dir });
    closers.push(() => source.close());
    urls.api = `${api.url}/metrics`;
    urls.worker = worker.metricsUrl as string;
    urls.autoscaler = `${autoscaler.url}/metrics`;

    // One import through the API, so the worker's labelled series have samples to check too.
    const bucket = await createTestBucket(newS3Client(), 'promtool');
    const submitted = await fetch(`${api.url}/v1/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        source: { type: 'http', url: `${source.url}/${file.name}` },
        destination: { bucket, key: 'promtool.bin' },
      }),
    });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    await waitUntil(async () => {
      const response = await fetch(`${api.url}/v1/imports/${id}`, {
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      return ((await response.json()) as { status: string }).status === 'completed';
    }, 'the import to complete');
    // The autoscaler's series get their first samples from its first tick.
    await waitUntil(
      async () => (await scrape(urls.autoscaler)).includes('ferry_autoscaler_ticks_total{'),
      "the autoscaler's first tick",
    );
  }, 300_000);

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it.for(['api', 'worker', 'autoscaler'] as const)('%s', async (service) => {
    const exposition = await scrape(urls[service]);
    expect(exposition).toContain(`ferry_${service === 'api' ? 'api_http' : service}`);
    if (service === 'worker') {
      expect(exposition).toContain('ferry_worker_imports_finished_total{outcome="completed",code="none"} 1');
    }
    expect(checkMetrics(promtool, exposition)).toEqual({ status: 0, output: '' });
  });
});
