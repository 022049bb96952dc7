import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';
import { spawnWorkerProcess, type WorkerProcess } from './testing/worker-process.ts';

const SIZE = 3 * 1024 * 1024;

/** The EMF documents among a process's stdout lines. */
function emfDocuments(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const total = (documents: Array<Record<string, unknown>>, name: string): number =>
  documents.reduce((sum, document) => sum + Number(document[name] ?? 0), 0);

describe('a worker process with METRICS_EMF_INTERVAL_S publishes CloudWatch metrics on stdout', () => {
  let harness: Harness;
  let served: ServedFile;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    harness = await Harness.create();
    served = await startServedFile(SIZE);
  });

  afterAll(async () => {
    await worker?.stop();
    await harness?.close();
    await served?.close();
  });

  it('counts what it moved once, across flushes and the last one at exit', async () => {
    worker = spawnWorkerProcess(harness.env({ METRICS_EMF_INTERVAL_S: '1', METRICS_PORT: '0' }));
    await worker.ready;
    const id = await harness.submit({ type: 'http', url: served.url }, 'emf.bin');
    await harness.waitForStatus(id, ['completed']);
    // A flush after the import, so the sums below are not the exit's flush alone.
    const running = worker;
    await expect
      .poll(() => total(emfDocuments(running.output()), 'ImportsCompleted'), { timeout: 10_000 })
      .toBe(1);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });

    const documents = emfDocuments(worker.output());
    expect(documents.length).toBeGreaterThanOrEqual(2);
    for (const document of documents) {
      expect(document).toMatchObject({
        _aws: { CloudWatchMetrics: [{ Namespace: 'Ferry', Dimensions: [['Queue']] }] },
        Queue: harness.queueName,
      });
    }
    expect(total(documents, 'ImportsCompleted')).toBe(1);
    expect(total(documents, 'ImportsFailed')).toBe(0);
    expect(total(documents, 'BytesTransferred')).toBe(SIZE);
    expect(total(documents, 'CheckpointWrites')).toBeGreaterThan(0);
    expect(documents.at(-1)).toMatchObject({ ActiveImports: 0 });
  });
});
