import { rmSync } from 'node:fs';
import { startApi } from '@ferry/api';
import { startAutoscaler } from '@ferry/autoscaler';
import { startFileSource } from '@ferry/local-stack';
import { createTestBucket, newS3Client, randomFile, serviceEnv, uniqueName } from '@ferry/test-support';
import { startWorker } from '@ferry/worker';

const API_KEY = 'three-services-test-key';

export interface ThreeServices {
  queue: string;
  /** Each service's /metrics. */
  metricsUrls: { api: string; worker: string; autoscaler: string };
  close(): Promise<void>;
}

/** expect.poll cannot run in a hook. */
export async function waitUntil(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
  return response.text();
}

/**
 * The API, one worker and a dry-run autoscaler on one queue of real Redis and S3, in this process,
 * after one import of a small file went through them: every service's labelled series have samples.
 */
export async function startThreeServicesWithOneImport(): Promise<ThreeServices> {
  const queue = uniqueName('three-services');
  const env = serviceEnv(queue, { FERRY_API_KEYS: `${API_KEY}:tenant-a`, PORT: '0', HOST: '127.0.0.1' });
  const file = randomFile(1024 * 1024);
  const closers: Array<() => Promise<void>> = [
    async () => rmSync(file.dir, { recursive: true, force: true }),
  ];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
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
    const metricsUrls = {
      api: `${api.url}/metrics`,
      worker: worker.metricsUrl as string,
      autoscaler: `${autoscaler.url}/metrics`,
    };

    const bucket = await createTestBucket(newS3Client(), 'three-services');
    const authorization = `Bearer ${API_KEY}`;
    const submitted = await fetch(`${api.url}/v1/imports`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({
        source: { type: 'http', url: `${source.url}/${file.name}` },
        destination: { bucket, key: 'three-services.bin' },
      }),
    });
    if (submitted.status !== 202) throw new Error(`submit answered ${submitted.status}`);
    const { id } = (await submitted.json()) as { id: string };
    await waitUntil(async () => {
      const response = await fetch(`${api.url}/v1/imports/${id}`, { headers: { authorization } });
      return ((await response.json()) as { status: string }).status === 'completed';
    }, 'the import to complete');
    // The autoscaler's series get their first samples from its first tick.
    await waitUntil(
      async () => (await scrape(metricsUrls.autoscaler)).includes('ferry_autoscaler_ticks_total{'),
      "the autoscaler's first tick",
    );
    return { queue, metricsUrls, close };
  } catch (error) {
    await close();
    throw error;
  }
}
