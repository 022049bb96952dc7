import { FAILPOINT_EXIT_CODE } from '@ferry/shared';
import { objectSha256, s3Backends } from '@ferry/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROBE_PREFIX } from './sink/probe-endpoint.ts';
import { Harness } from './testing/harness.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';
import { spawnWorkerProcess, type WorkerProcess } from './testing/worker-process.ts';

const MIB = 1024 * 1024;
const SIZE = 12 * MIB;

/** Bytes of the file the source sent in ranged GETs (metadata requests carry none). */
const bytesServed = (served: ServedFile): number =>
  served.source.requests
    .filter((request) => request.method === 'GET')
    .reduce((sum, request) => {
      const [, from = '0', to = '0'] = /^bytes=(\d+)-(\d+)$/.exec(request.range ?? '') ?? [];
      return sum + (request.range ? Number(to) - Number(from) + 1 : SIZE);
    }, 0);

/**
 * A worker process dies at each named point of the upload (FERRY_FAILPOINTS=<point>=exit), and the
 * next worker finishes the import byte-identical with nothing left open: the crash comes at the same
 * step every run, whatever the machine's speed.
 */
describe.for(s3Backends())('a worker that dies at a named point of the upload, $label', (backend) => {
  let harness: Harness;
  let served: ServedFile;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    harness = await Harness.create(backend);
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop();
    await served?.close();
  });
  afterAll(async () => {
    await harness?.close();
  });

  /** Uploads still open for one key (the cases share a bucket). */
  const openUploadsOf = async (key: string) =>
    (await harness.openUploads()).filter((upload) => upload.key === key);

  const spawn = (failpoint?: string): WorkerProcess => {
    const worker = spawnWorkerProcess(
      harness.env({
        PART_SIZE_MIB: '5',
        PART_CONCURRENCY: '1',
        // The dead worker's job comes free within seconds; long enough that the living one's renewals
        // keep its lock on a machine loaded far past its cores.
        JOB_LOCK_MS: '5000',
        ...(failpoint ? { FERRY_FAILPOINTS: `${failpoint}=exit` } : {}),
      }),
    );
    workers.push(worker);
    return worker;
  };

  /** The first worker dies at `failpoint`; answers the import id and the second worker. */
  const dieThenResume = async (failpoint: string, key: string) => {
    served = await startServedFile(SIZE);
    const first = spawn(failpoint);
    await first.ready;
    const id = await harness.submit({ type: 'http', url: served.url }, key);
    expect(await first.exited).toEqual({ code: FAILPOINT_EXIT_CODE, signal: null });
    const servedBeforeResume = bytesServed(served);
    const second = spawn();
    const record = await harness.waitForStatus(id, ['completed', 'failed']);
    expect(record.error, second.output()).toBeUndefined();
    expect(record).toMatchObject({ status: 'completed', bytesDone: SIZE });
    expect(await objectSha256(harness.s3, harness.bucket, key)).toEqual({
      sha256: served.file.sha256,
      size: SIZE,
    });
    return { second, refetched: bytesServed(served) - servedBeforeResume };
  };

  it('upload.after-create (S3 made the upload, the checkpoint never named it): the orphan is aborted, or said to be left', async () => {
    const { second } = await dieThenResume('upload.after-create', 'after-create.bin');
    const orphans = await openUploadsOf('after-create.bin');
    if (backend.name === 'fauxqs') {
      // fauxqs has no ListMultipartUploads: the worker says so, and the bucket's lifecycle rule is left to it.
      expect(
        second.logged(
          "an earlier attempt may have left a multipart upload, and this S3 server cannot list uploads: the bucket's AbortIncompleteMultipartUpload rule removes it",
        ),
      ).toHaveLength(1);
      expect(orphans).toHaveLength(1);
    } else {
      expect(
        second.logged('aborted the multipart upload an earlier attempt made and never recorded'),
      ).toMatchObject([{ aborted: 1 }]);
      expect(orphans).toEqual([]);
    }
  });

  it('part.after-upload (S3 holds the part, the checkpoint does not): resumed, no upload left open', async () => {
    const { second, refetched } = await dieThenResume('part.after-upload', 'after-part.bin');
    expect(await openUploadsOf('after-part.bin')).toEqual([]);
    // Read again: adopting a part the checkpoint lacks takes its CRC-32 from ListParts, which neither
    // server here reports (fauxqs has no ListParts, RGW 16's carries no checksums; AWS S3's does,
    // see reconcile-checkpoint.test.ts). Uploading the part number again replaces what S3 held.
    expect(refetched).toBe(SIZE);
    expect(second.logged('resuming from checkpoint')).toHaveLength(1);
  });

  it('upload.after-complete (the object exists, the record does not say so): recognised, nothing read again', async () => {
    const { refetched } = await dieThenResume('upload.after-complete', 'after-complete.bin');
    expect(await openUploadsOf('after-complete.bin')).toEqual([]);
    expect(refetched).toBe(0);
  });
});

/**
 * The endpoint probe opens two scratch uploads; a worker killed in between cannot abort them. The
 * fleet's next probe, in its turn, removes them first, where the server can list uploads.
 */
describe.for(s3Backends())('a worker that dies in the middle of its endpoint probe, $label', (backend) => {
  let harness: Harness;
  let served: ServedFile;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    // A queue of its own: the probe's answer is kept per queue, and this one must not have it yet.
    harness = await Harness.create(backend);
    served = await startServedFile(SIZE);
  });
  afterAll(async () => {
    for (const worker of workers.splice(0)) await worker.stop();
    await served?.close();
    await harness?.close();
  });

  const probeUploads = async () =>
    (await harness.openUploads()).filter((upload) => upload.key.startsWith(PROBE_PREFIX));

  it('probe.after-create: the next worker removes the scratch uploads before probing, or says it cannot', async () => {
    const spawn = (env: Record<string, string>) => {
      const worker = spawnWorkerProcess(
        harness.env({ S3_CHECKSUM_MODE: 'auto', JOB_LOCK_MS: '5000', ...env }),
      );
      workers.push(worker);
      return worker;
    };
    const first = spawn({ FERRY_FAILPOINTS: 'probe.after-create=exit' });
    await first.ready;
    const id = await harness.submit({ type: 'http', url: served.url }, 'after-probe.bin');
    expect(await first.exited).toEqual({ code: FAILPOINT_EXIT_CODE, signal: null });
    expect(await probeUploads()).toHaveLength(2);

    // Its probe turn runs out (a lease of seconds, not renewed by the dead), and this one takes it.
    const second = spawn({});
    const record = await harness.waitForStatus(id, ['completed', 'failed']);
    expect(record, second.output()).toMatchObject({ status: 'completed', bytesDone: SIZE });
    if (backend.name === 'fauxqs') {
      expect(
        second.logged(
          "this S3 server cannot list uploads: scratch uploads of an interrupted endpoint probe are left to the bucket's AbortIncompleteMultipartUpload rule",
        ),
      ).toHaveLength(1);
      expect(await probeUploads()).toHaveLength(2);
    } else {
      expect(second.logged('removed what earlier endpoint probes left')).toMatchObject([{ removed: 2 }]);
      expect(await probeUploads()).toEqual([]);
    }
  });
});
