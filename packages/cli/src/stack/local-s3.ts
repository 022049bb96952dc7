import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { LOCAL_S3_CREDENTIALS, localS3Client, startRadosgw, startS3Server } from '@ferry/local-stack';
import type { LocalS3Kind } from './local-s3-kind.ts';

export interface LocalS3 {
  kind: LocalS3Kind;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  close(): Promise<void>;
}

/**
 * The local stack's S3 server, with `bucket` made. fauxqs keeps its objects in `<root>/s3` across
 * restarts and takes any credentials; radosgw is a one-node Ceph cluster made afresh in
 * `<root>/radosgw` (Debian's packages installed when missing) with keys of its own, removed on close.
 */
export async function startLocalS3(
  kind: LocalS3Kind,
  root: string,
  bucket: string,
  log: (line: string) => void,
): Promise<LocalS3> {
  if (kind === 'fauxqs') {
    const s3 = await startS3Server({ dir: join(root, 's3') });
    try {
      s3.createBucket(bucket);
    } catch {
      // Kept from an earlier run.
    }
    return { kind, endpoint: s3.endpoint, credentials: LOCAL_S3_CREDENTIALS, close: () => s3.close() };
  }
  const dir = join(root, 'radosgw');
  // A cluster left by a stack that was killed cannot be restarted: its daemons are gone.
  rmSync(dir, { recursive: true, force: true });
  const rgw = await startRadosgw({ dir, removeOnClose: true, log });
  const client = localS3Client(rgw.endpoint, rgw.credentials);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    await rgw.close();
    throw error;
  } finally {
    client.destroy();
  }
  return { kind, endpoint: rgw.endpoint, credentials: rgw.credentials, close: () => rgw.close() };
}
