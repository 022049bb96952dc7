import { type OtlpReceiver, objectSha256, type ReceivedSpan, startOtlpReceiver } from '@ferry/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, spawnApiProcess } from './testing/api-process.ts';
import { Harness } from './testing/harness.ts';
import { type S3FaultProxy, startS3FaultProxy } from './testing/s3-fault-proxy.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';
import { startThrottledFile, type ThrottledFile } from './testing/throttled-file.ts';
import { spawnWorkerProcess, type WorkerProcess } from './testing/worker-process.ts';

const MIB = 1024 * 1024;
const SIZE = 30 * MIB;
const PARTS = 6;
const API_KEY = 'ak_tracing_resume_2b7c9e4f1a';

describe('tracing: every attempt at an import is in its trace, linked to the one before (real processes)', () => {
  let harness: Harness;
  let slow: ThrottledFile;
  let served: ServedFile;
  let receiver: OtlpReceiver;
  let api: ApiProcess;
  let s3: S3FaultProxy;
  /** The first UploadPart of `retried.bin` is answered NoSuchUpload: that attempt fails, once. */
  let refused = false;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    harness = await Harness.create();
    slow = await startThrottledFile(SIZE, 4 * MIB);
    served = await startServedFile(6 * MIB);
    receiver = await startOtlpReceiver();
    api = await spawnApiProcess(env());
    s3 = await startS3FaultProxy({
      upstream: harness.backend.endpoint,
      fault: (request) => {
        if (refused || request.operation !== 'UploadPart' || request.key !== 'retried.bin') return null;
        refused = true;
        return { status: 404, code: 'NoSuchUpload', message: 'The specified upload does not exist.' };
      },
    });
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  });

  afterAll(async () => {
    await api?.stop();
    await harness?.close();
    await s3?.close();
    await receiver?.close();
    await served?.close();
    await slow?.close();
  });

  const env = (): Record<string, string> =>
    harness.env({
      FERRY_API_KEYS: `${API_KEY}:tenant-resumed`,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });

  const spawnWorker = async (extra: Record<string, string> = {}): Promise<WorkerProcess> => {
    const worker = spawnWorkerProcess({
      ...env(),
      ...extra,
      PART_SIZE_MIB: '5',
      PART_CONCURRENCY: '2',
      WORKER_CONCURRENCY: '1',
      // A dead worker's job is back in the queue within seconds (production: 30 s).
      JOB_LOCK_MS: '4000',
    });
    workers.push(worker);
    await worker.ready;
    return worker;
  };

  it("puts the second worker's attempt in the submit's trace, linked to the killed attempt", async () => {
    const first = await spawnWorker();
    const submitted = await api.call(API_KEY, 'POST', '/v1/imports', {
      source: { type: 'http', url: slow.url },
      destination: { bucket: harness.bucket, key: 'resumed.bin' },
    });
    expect(submitted.status).toBe(202);
    const id = (submitted.body as { id: string }).id;

    // The kill comes once the receiver holds two finished parts of the first attempt: their spans
    // name the attempt's span as parent, though the attempt's own span dies unexported with it.
    const partsOf = (spans: ReceivedSpan[], parent: string | undefined) =>
      spans.filter((span) => span.name === 'ferry.part' && span.parentSpanId === parent);
    const submit = (spans: ReceivedSpan[]) =>
      spans.find((span) => span.name === 'ferry.import.submit' && span.attributes['ferry.import.id'] === id);
    const beforeKill = await receiver.waitFor((spans) => {
      const traceId = submit(spans)?.traceId;
      return spans.filter((span) => span.name === 'ferry.part' && span.traceId === traceId).length >= 2;
    });
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const traceId = submit(beforeKill)?.traceId;
    const killedAttempt = beforeKill.find(
      (span) => span.name === 'ferry.part' && span.traceId === traceId,
    )?.parentSpanId;
    expect(killedAttempt).toBeDefined();
    // What the killed attempt finished is in its checkpoint; the rest is for the second worker.
    const atKill = new Set((await harness.checkpoints.load(id))?.parts.keys());
    const checkpointed = atKill.size;
    expect(checkpointed).toBeGreaterThanOrEqual(2);

    slow.proxy.bytesPerSecond = Number.POSITIVE_INFINITY;
    const second = await spawnWorker();
    const record = await harness.waitForStatus(id, ['completed', 'failed']);
    expect(record.error, second.output()).toBeUndefined();
    expect(await objectSha256(harness.s3, harness.bucket, 'resumed.bin')).toEqual({
      sha256: slow.file.sha256,
      size: SIZE,
    });

    const spans = await receiver.waitFor((all) =>
      all.some(
        (span) =>
          span.name === 'ferry.import' &&
          span.attributes['ferry.import.id'] === id &&
          span.attributes['ferry.outcome'] === 'completed',
      ),
    );
    const trace = spans.filter((span) => span.traceId === traceId);
    const attempts = trace.filter((span) => span.name === 'ferry.import');
    // Only the second attempt's span ended; the first's was lost with its process, not its parts.
    expect(attempts).toHaveLength(1);
    const resumed = attempts[0] as ReceivedSpan;
    expect(resumed.spanId).not.toBe(killedAttempt);
    expect(resumed).toMatchObject({
      service: 'ferry-worker',
      attributes: { 'ferry.import.id': id, 'ferry.tenant': 'tenant-resumed', 'ferry.outcome': 'completed' },
      links: [{ traceId, spanId: killedAttempt, attributes: { 'ferry.link': 'previous-attempt' } }],
    });
    expect(resumed.attributes['ferry.parts.resumed']).toBe(checkpointed);
    // The killed attempt's finished parts are in the trace (a part that finished right before the
    // kill may have died unexported), and the second attempt moved exactly the rest.
    const partNumbers = (parent: string | undefined) =>
      partsOf(trace, parent).map((span) => Number(span.attributes['ferry.part.number']));
    for (const part of partNumbers(killedAttempt)) expect(atKill.has(part)).toBe(true);
    const rest = Array.from({ length: PARTS }, (_, i) => i + 1).filter((part) => !atKill.has(part));
    expect(partNumbers(resumed.spanId).sort((a, b) => a - b)).toEqual(rest);
    expect(
      trace.filter((span) => span.name === 'ferry.complete' && span.parentSpanId === resumed.spanId),
    ).toHaveLength(1);
    expect(
      trace.filter((span) => span.name === 'ferry.verify' && span.parentSpanId === resumed.spanId),
    ).toHaveLength(1);
  });

  it('puts a retry after a failed attempt in the same trace, linked to the failed attempt', async () => {
    const worker = await spawnWorker({ S3_ENDPOINT: s3.url });
    const submitted = await api.call(API_KEY, 'POST', '/v1/imports', {
      source: { type: 'http', url: served.url },
      destination: { bucket: harness.bucket, key: 'retried.bin' },
    });
    const id = (submitted.body as { id: string }).id;
    const record = await harness.waitForStatus(id, ['completed', 'failed']);
    expect(record.error, worker.output()).toBeUndefined();
    expect(record.attempts).toBe(2);

    const spans = await receiver.waitFor(
      (all) =>
        all.filter((span) => span.name === 'ferry.import' && span.attributes['ferry.import.id'] === id)
          .length === 2,
    );
    const attempts = spans
      .filter((span) => span.name === 'ferry.import' && span.attributes['ferry.import.id'] === id)
      .sort((a, b) => Number(a.attributes['ferry.attempt']) - Number(b.attributes['ferry.attempt']));
    const [failed, retried] = attempts as [ReceivedSpan, ReceivedSpan];
    const submit = spans.find(
      (span) => span.name === 'ferry.import.submit' && span.attributes['ferry.import.id'] === id,
    );
    expect(failed).toMatchObject({
      traceId: submit?.traceId,
      attributes: { 'ferry.attempt': 1, 'ferry.outcome': 'retrying', 'error.type': 'DESTINATION_ERROR' },
      status: { code: 2 },
      links: [],
    });
    expect(retried).toMatchObject({
      traceId: submit?.traceId,
      attributes: { 'ferry.attempt': 2, 'ferry.outcome': 'completed' },
      links: [{ traceId: submit?.traceId, spanId: failed.spanId }],
    });
  });
});
