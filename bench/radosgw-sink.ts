import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BENCH_BUCKET, type Sink } from './parties.ts';
import { onCleanup } from './processes.ts';
import { crc32OfStream } from './source-files.ts';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  localS3Client,
  startRadosgw,
} from './workspace.ts';

/**
 * A production S3 implementation as the sink: a one-node Ceph cluster (ceph-mon, one BlueStore OSD,
 * radosgw; @ferry/local-stack's startRadosgw) under `tmpDir`, removed when stopped or when the run
 * ends however it ends. It keeps the bytes and checks every signature, so the checks read objects
 * back through a signing client with the cluster's keys, and both tools sign with them too.
 */
export async function startRadosgwSink(tmpDir: string, log: (line: string) => void): Promise<Sink> {
  const dir = join(tmpDir, `radosgw-${process.pid}`);
  // Registered first so it runs last: also covers a run interrupted while the cluster starts.
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  const radosgw = await startRadosgw({ dir, removeOnClose: true, log });
  onCleanup(() => radosgw.close());
  const s3 = localS3Client(radosgw.endpoint, radosgw.credentials);
  await s3.send(new CreateBucketCommand({ Bucket: BENCH_BUCKET }));
  return {
    name: `Ceph RGW ${radosgw.version}`,
    endpoint: radosgw.endpoint,
    // rclone's CompleteMultipartUpload, which fauxqs misreads, is fine for RGW: no proxy.
    rcloneEndpoint: radosgw.endpoint,
    bucket: BENCH_BUCKET,
    credentials: radosgw.credentials,
    pids: radosgw.pids,
    objectSize: async (key) => {
      try {
        const head = await s3.send(new HeadObjectCommand({ Bucket: BENCH_BUCKET, Key: key }));
        return head.ContentLength ?? null;
      } catch (error) {
        if ((error as Error).name === 'NotFound') return null;
        throw error;
      }
    },
    objectCrc32: async (key) => {
      const { Body } = await s3.send(new GetObjectCommand({ Bucket: BENCH_BUCKET, Key: key }));
      if (!Body) return null;
      // In Node the SDK's body is a readable stream of bytes.
      return (await crc32OfStream(Body as AsyncIterable<Uint8Array>)).crc32;
    },
    stats: async () => null,
    stop: async () => {
      s3.destroy();
      await radosgw.close();
    },
  };
}
