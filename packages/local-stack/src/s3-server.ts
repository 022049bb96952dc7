import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFauxqs } from 'fauxqs';

export interface S3ServerHandle {
  /** http://127.0.0.1:<port>, for S3_ENDPOINT with path-style addressing. */
  endpoint: string;
  dir: string;
  createBucket(name: string): void;
  /** Multipart uploads begun but neither completed nor aborted, read from the server's disk. */
  openMultipartUploads(bucket?: string): OpenMultipartUpload[];
  close(): Promise<void>;
}

/**
 * The fauxqs version installed. Its package.json is not among its exports, so it is read from this
 * package's node_modules (where pnpm links it, in the workspace and in a deployed bundle alike).
 */
export function fauxqsVersion(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const manifest = join(here, '..', 'node_modules', 'fauxqs', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'ferry-local', secretAccessKey: 'ferry-local-secret' };

/**
 * An embedded S3-compatible server (fauxqs) that keeps objects and in-progress multipart parts as
 * files under `dir`. It accepts any credentials; LOCAL_S3_CREDENTIALS are what the local stack uses.
 */
export async function startS3Server(options: {
  dir: string;
  port?: number;
  removeOnClose?: boolean;
}): Promise<S3ServerHandle> {
  mkdirSync(options.dir, { recursive: true });
  const server = await startFauxqs({ port: options.port ?? 0, logger: false, s3StorageDir: options.dir });
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    dir: options.dir,
    createBucket: (name) => {
      server.createBucket(name);
    },
    openMultipartUploads: (bucket) => listOpenMultipartUploads(options.dir, bucket),
    close: async () => {
      await server.stop();
      if (options.removeOnClose) rmSync(options.dir, { recursive: true, force: true });
    },
  };
}

export interface OpenMultipartUpload {
  uploadId: string;
  bucket: string;
  key: string;
}

/**
 * Multipart uploads begun but neither completed nor aborted, read from the server's storage
 * directory (fauxqs keeps one folder per open upload), so any process can check for orphans.
 */
export function listOpenMultipartUploads(dir: string, bucket?: string): OpenMultipartUpload[] {
  const multipartDir = join(dir, '_multipart');
  let ids: string[];
  try {
    ids = readdirSync(multipartDir);
  } catch {
    return [];
  }
  const uploads: OpenMultipartUpload[] = [];
  for (const uploadId of ids) {
    try {
      const meta = JSON.parse(readFileSync(join(multipartDir, uploadId, '.upload.json'), 'utf8')) as {
        bucket: string;
        key: string;
      };
      if (!bucket || meta.bucket === bucket) uploads.push({ uploadId, bucket: meta.bucket, key: meta.key });
    } catch {
      // A folder being written or removed right now: not an orphan.
    }
  }
  return uploads;
}
