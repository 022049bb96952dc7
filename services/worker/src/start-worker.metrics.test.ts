import { rmSync } from 'node:fs';
import { startFileSource } from '@ferry/local-stack';
import { randomFile } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Harness } from './testing/harness.ts';
import { scrapeMetrics } from './testing/scrape-metrics.ts';

const MIB = 1024 * 1024;
const SIZE = 20 * MIB;

const file = randomFile(SIZE);
afterAll(() => rmSync(file.dir, { recursive: true, force: true }));

describe('worker /metrics after a real import (HTTP source, real Redis and S3)', () => {
  let harness: Harness;
  let source: Awaited<ReturnType<typeof startFileSource>>;

  beforeAll(async () => {
    harness = await Harness.create();
    source = await startFileSource({ root: file.dir });
  });

  afterAll(async () => {
    await harness?.close();
    await source?.close();
  });

  it('counts the bytes, the finished import and its checkpoint writes, and ends with none active', async () => {
    const worker = await harness.startWorker({ PART_SIZE_MIB: '5', PART_CONCURRENCY: '2' });
    onTestFinished(() => worker.close());
    expect(worker.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const url = worker.metricsUrl as string;

    const id = await harness.submit({ type: 'http', url: `${source.url}/${file.name}` }, 'metrics/file.bin');
    const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
    expect(record.error).toBeUndefined();
    expect(record.status).toBe('completed');

    const samples = await scrapeMetrics(url);
    expect(samples.get('ferry_worker_bytes_moved_total{source_type="http"}')).toBe(SIZE);
    expect(samples.get('ferry_worker_imports_finished_total{outcome="completed",code="none"}')).toBe(1);
    // A new upload announced, then begun, then each of the four parts recorded.
    expect(samples.get('ferry_worker_checkpoint_writes_total')).toBe(6);
    expect(samples.get('ferry_worker_part_retries_total{source_type="http"}')).toBeUndefined();
    // The gauge drops as the processor returns, a moment after the record says completed.
    await expect.poll(async () => (await scrapeMetrics(url)).get('ferry_worker_active_imports')).toBe(0);
    expect(samples.get('process_cpu_seconds_total')).toBeGreaterThan(0);
    // No series is named after the import: ids, URLs and keys never become label values.
    const series = [...samples.keys()].join('\n');
    expect(series).not.toContain(id);
    expect(series).not.toContain('metrics/file.bin');
    expect(series).not.toContain(source.url);
  });

  it('stops serving /metrics when the worker closes', async () => {
    const worker = await harness.startWorker();
    const url = worker.metricsUrl as string;
    expect((await fetch(url)).status).toBe(200);
    await worker.close();
    await expect(fetch(url)).rejects.toThrow();
  });

  it('keeps importing when METRICS_PORT is taken, without serving metrics', async () => {
    const first = await harness.startWorker();
    const port = new URL(first.metricsUrl as string).port;
    const second = await harness.startWorker({ METRICS_PORT: port, METRICS_HOST: '127.0.0.1' });
    expect(second.metricsUrl).toBeNull();
    const id = await harness.submit({ type: 'http', url: `${source.url}/${file.name}` }, 'metrics/again.bin');
    expect((await harness.waitForStatus(id, ['completed', 'failed'], 60_000)).status).toBe('completed');
  });
});
