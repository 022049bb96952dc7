import { objectSha256 } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBE_PREFIX } from './sink/probe-endpoint.ts';
import { Harness } from './testing/harness.ts';
import { type S3FaultProxy, startS3FaultProxy } from './testing/s3-fault-proxy.ts';
import { type ServedFile, startServedFile } from './testing/served-file.ts';

const MIB = 1024 * 1024;

describe("the endpoint probe is the fleet's, not each worker's", () => {
  let harness: Harness;
  let served: ServedFile;
  let proxy: S3FaultProxy;

  beforeAll(async () => {
    harness = await Harness.create();
    served = await startServedFile(6 * MIB);
    proxy = await startS3FaultProxy({ upstream: harness.backend.endpoint, probes: true });
  });
  afterAll(async () => {
    await proxy?.close();
    await harness?.close();
    await served?.close();
  });

  const probeRequests = () => proxy.requests.filter((request) => request.key.startsWith(PROBE_PREFIX)).length;

  it('a second worker of the queue uses the first one’s answer: no scratch uploads, the same mode', async () => {
    const importWith = async (key: string) => {
      const worker = await harness.startWorker({ S3_ENDPOINT: proxy.url, PART_SIZE_MIB: '5' });
      const id = await harness.submit({ type: 'http', url: served.url }, key);
      expect(await harness.waitForStatus(id, ['completed', 'failed'])).toMatchObject({ status: 'completed' });
      expect(await objectSha256(harness.s3, harness.bucket, key)).toEqual({
        sha256: served.file.sha256,
        size: 6 * MIB,
      });
      await worker.close();
    };
    await importWith('first.bin');
    const probed = probeRequests();
    expect(probed).toBeGreaterThan(0);
    await importWith('second.bin');
    expect(probeRequests()).toBe(probed);
  });
});
