import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Upload } from '@aws-sdk/lib-storage';
import { type FileSourceHandle, startFileSource } from '@ferry/local-stack';
import { ErrorCode, type Source } from '@ferry/shared';
import {
  createTestBucket,
  type DropboxEmulator,
  type GdriveEmulator,
  objectSha256,
  randomFile,
  s3Backends,
  startDropboxEmulator,
  startGdriveEmulator,
} from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { ChecksumModeSetting } from './sink/checksum-mode.ts';
import { Harness } from './testing/harness.ts';

const MIB = 1024 * 1024;
const SIZE = 12 * MIB + 321; // three 5 MiB parts (Dropbox: 8 MiB, whole 4 MiB blocks), the last short

/**
 * What each S3 server does with each S3_CHECKSUM_MODE: an import either completes byte-identical or
 * fails on its first attempt with DESTINATION_UNSUPPORTED, leaving no object and no open upload.
 * Ceph RGW 16 does not decode aws-chunked trailers; fauxqs decodes them (and checks nothing).
 */
const OUTCOMES: Record<string, Record<ChecksumModeSetting, 'completed' | 'unsupported'>> = {
  fauxqs: {
    auto: 'completed',
    trailer: 'completed',
    signed: 'completed',
    header: 'completed',
    etag: 'completed',
  },
  radosgw: {
    auto: 'completed',
    trailer: 'unsupported',
    signed: 'completed',
    header: 'completed',
    etag: 'completed',
  },
};

/** Every way bytes reach S3: ranged parts, one streamed GET, the providers' ranged reads, S3 itself. */
const PATHS = ['ranged HTTP', 'streamed HTTP', 'Dropbox', 'Google Drive', 'S3 to S3'] as const;
type ImportPath = (typeof PATHS)[number];

describe.for(s3Backends())('S3_CHECKSUM_MODE against $label (real worker, every import path)', (backend) => {
  const file = randomFile(SIZE);
  let bytes: Buffer;
  let harness: Harness;
  let ranged: FileSourceHandle;
  let unranged: FileSourceHandle;
  let dropbox: DropboxEmulator;
  let drive: GdriveEmulator;
  let sources: Record<ImportPath, Source>;

  beforeAll(async () => {
    bytes = readFileSync(join(file.dir, file.name));
    harness = await Harness.create(backend);
    ranged = await startFileSource({ root: file.dir });
    unranged = await startFileSource({ root: file.dir, ranges: false });
    dropbox = await startDropboxEmulator();
    drive = await startGdriveEmulator();
    await dropbox.addFile('/modes.bin', bytes);
    const driveFile = await drive.addFile(bytes, { name: 'modes.bin' });
    const sourceBucket = await createTestBucket(harness.s3, 'modes-src');
    // In 5 MiB parts: fauxqs takes at most 11 MiB a request.
    await new Upload({
      client: harness.s3,
      params: { Bucket: sourceBucket, Key: 'modes.bin', Body: bytes },
      partSize: 5 * MIB,
    }).done();
    sources = {
      'ranged HTTP': { type: 'http', url: `${ranged.url}/${file.name}` },
      'streamed HTTP': { type: 'http', url: `${unranged.url}/${file.name}` },
      Dropbox: {
        type: 'dropbox',
        path: '/modes.bin',
        credentials: { accessToken: dropbox.issueAccessToken() },
      },
      'Google Drive': {
        type: 'gdrive',
        fileId: driveFile.id,
        credentials: { accessToken: drive.issueAccessToken() },
      },
      'S3 to S3': { type: 's3', bucket: sourceBucket, key: 'modes.bin' },
    };
  });

  afterAll(async () => {
    await harness?.close();
    await Promise.all([ranged?.close(), unranged?.close(), dropbox?.close(), drive?.close()]);
    rmSync(file.dir, { recursive: true, force: true });
  });

  const cases = Object.entries(OUTCOMES[backend.name] ?? {}) as [ChecksumModeSetting, string][];
  it.for(cases)(
    '%s: %s on every path that sends bytes (S3 to S3 copies either way)',
    async ([mode, outcome]) => {
      const worker = await harness.startWorker({
        S3_CHECKSUM_MODE: mode,
        PART_SIZE_MIB: '5',
        DROPBOX_API_URL: dropbox.apiUrl,
        DROPBOX_CONTENT_URL: dropbox.contentUrl,
        GDRIVE_API_URL: drive.apiUrl,
      });
      onTestFinished(() => worker.close());
      for (const path of PATHS) {
        const key = `${mode}/${path.replaceAll(' ', '-')}.bin`;
        const id = await harness.submit(sources[path], key);
        const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
        // UploadPartCopy carries no body, so no checksum mode is involved: S3 copies its own bytes.
        if (outcome === 'completed' || path === 'S3 to S3') {
          expect(record.error, path).toBeUndefined();
          expect(record, path).toMatchObject({ status: 'completed', attempts: 1, result: { size: SIZE } });
          expect(await objectSha256(harness.s3, harness.bucket, key), path).toEqual({
            sha256: file.sha256,
            size: SIZE,
          });
        } else {
          expect(record, path).toMatchObject({
            status: 'failed',
            attempts: 1,
            error: {
              code: ErrorCode.DESTINATION_UNSUPPORTED,
              message: expect.stringContaining(`S3_CHECKSUM_MODE=${mode}`),
            },
          });
          await expect(objectSha256(harness.s3, harness.bucket, key), path).rejects.toMatchObject({
            name: 'NoSuchKey',
          });
        }
      }
      expect(await harness.openUploads()).toEqual([]);
    },
  );
});
