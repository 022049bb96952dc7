import { createHash, randomBytes } from 'node:crypto';
import {
  type GdriveEmulator,
  objectSha256,
  type S3TestBackend,
  s3Backends,
  startGdriveEmulator,
} from '@ferry/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';

const MIB = 1024 * 1024;

function hash(algorithm: string, bytes: Buffer): string {
  return createHash(algorithm).update(bytes).digest('hex');
}

interface World {
  readonly harness: Harness;
  readonly drive: GdriveEmulator;
}

/**
 * A harness on `backend` (fauxqs unless given) and a Drive emulator of its own for every test:
 * each test's worker points at its own emulator. Both are closed after the test, the harness's
 * workers with it.
 */
function perTest(backend?: S3TestBackend): World {
  let harness: Harness | undefined;
  let drive: GdriveEmulator | undefined;
  beforeEach(async () => {
    harness = await Harness.create(backend);
    drive = await startGdriveEmulator();
  });
  afterEach(async () => {
    await harness?.close();
    await drive?.close();
    harness = undefined;
    drive = undefined;
  });
  return {
    get harness() {
      return harness as Harness;
    },
    get drive() {
      return drive as GdriveEmulator;
    },
  };
}

async function startWorker({ harness, drive }: World, extra: Record<string, string> = {}): Promise<void> {
  await harness.startWorker({
    GDRIVE_API_URL: drive.apiUrl,
    GDRIVE_TOKEN_URL: drive.tokenUrl,
    PART_SIZE_MIB: '5',
    ...extra,
  });
}

/** The import paths, on every S3 server: ranged binary files, and Workspace exports streamed. */
describe.for(s3Backends())(
  'Google Drive imports to $label (real worker, Redis and S3; the Drive emulator)',
  (backend) => {
    const world = perTest(backend);

    it('imports a binary file in order, part by part, and verifies md5Checksum', async () => {
      const { harness, drive } = world;
      await startWorker(world);
      const bytes = randomBytes(12 * MIB + 7);
      const file = await drive.addFile(bytes, { name: 'video.bin' });
      const id = await harness.submit(
        { type: 'gdrive', fileId: file.id, credentials: { accessToken: drive.issueAccessToken() } },
        'drive/video.bin',
      );
      const record = await harness.waitForStatus(id, ['completed', 'failed']);
      expect(record.error).toBeUndefined();
      expect(record.result).toMatchObject({
        size: bytes.length,
        partCount: 3,
        sourceChecksum: `md5:${hash('md5', bytes)}`,
      });
      expect(await objectSha256(harness.s3, harness.bucket, 'drive/video.bin')).toEqual({
        sha256: hash('sha256', bytes),
        size: bytes.length,
      });
      const media = drive.requests().filter((r) => r.endpoint === 'files.media');
      expect(media.map((r) => r.range)).toEqual([
        `bytes=0-${5 * MIB - 1}`,
        `bytes=${5 * MIB}-${10 * MIB - 1}`,
        `bytes=${10 * MIB}-${bytes.length - 1}`,
      ]);
    });

    it('exports a Google Docs document through the streaming path', async () => {
      const { harness, drive } = world;
      await startWorker(world);
      const docx = randomBytes(300 * 1024);
      const pdf = randomBytes(200 * 1024);
      const document = drive.addWorkspaceDocument({
        mimeType: 'application/vnd.google-apps.document',
        exports: {
          'application/vnd.openxmlformats-officedocument.wordprocessingml.document': docx,
          'application/pdf': pdf,
        },
      });
      const token = drive.issueAccessToken();
      const asDefault = await harness.submit(
        { type: 'gdrive', fileId: document.id, credentials: { accessToken: token } },
        'drive/doc.docx',
      );
      const asPdf = await harness.submit(
        {
          type: 'gdrive',
          fileId: document.id,
          credentials: { accessToken: token },
          exportMimeType: 'application/pdf',
        },
        'drive/doc.pdf',
      );
      for (const id of [asDefault, asPdf]) {
        const record = await harness.waitForStatus(id, ['completed', 'failed']);
        expect(record.error).toBeUndefined();
      }
      expect((await objectSha256(harness.s3, harness.bucket, 'drive/doc.docx')).sha256).toBe(
        hash('sha256', docx),
      );
      expect((await objectSha256(harness.s3, harness.bucket, 'drive/doc.pdf')).sha256).toBe(
        hash('sha256', pdf),
      );
    });
  },
);

/** Abuse flags, tokens and rate limits: about Drive, not S3, so on the default server only. */
describe('Google Drive imports, provider side (real worker, Redis and S3; the Drive emulator)', () => {
  const world = perTest();

  it('refuses a file flagged as abusive unless acknowledgeAbuse is set', async () => {
    const { harness, drive } = world;
    await startWorker(world);
    const bytes = randomBytes(64 * 1024);
    const file = await drive.addFile(bytes, { abusive: true });
    const token = drive.issueAccessToken();
    const refused = await harness.submit(
      { type: 'gdrive', fileId: file.id, credentials: { accessToken: token } },
      'drive/refused.bin',
    );
    const acknowledged = await harness.submit(
      { type: 'gdrive', fileId: file.id, credentials: { accessToken: token }, acknowledgeAbuse: true },
      'drive/acknowledged.bin',
    );
    const failed = await harness.waitForStatus(refused, ['completed', 'failed']);
    expect(failed.error).toMatchObject({ code: 'SOURCE_ACCESS_DENIED', attempts: 1 });
    expect(failed.error?.message).toContain('acknowledgeAbuse');
    const done = await harness.waitForStatus(acknowledged, ['completed', 'failed']);
    expect(done.error).toBeUndefined();
    expect(done.result?.sourceChecksum).toBe(`md5:${hash('md5', bytes)}`);
  });

  it('gets a token from a refresh token, and waits out rate limits without failing', async () => {
    const { harness, drive } = world;
    await startWorker(world);
    const bytes = randomBytes(15 * MIB);
    const file = await drive.addFile(bytes);
    drive.setRateLimit({ requestsPerSecond: 2, answer: 'alternate' });
    const refreshToken = drive.issueRefreshToken({ clientId: 'client-1', clientSecret: 'secret-1' });
    const id = await harness.submit(
      {
        type: 'gdrive',
        fileId: file.id,
        credentials: { refreshToken, clientId: 'client-1', clientSecret: 'secret-1' },
      },
      'drive/limited.bin',
    );
    const record = await harness.waitForStatus(id, ['completed', 'failed']);
    expect(record.error).toBeUndefined();
    expect(record.attempts).toBe(1);
    expect(drive.stats().byEndpoint.token).toBe(1);
    expect((await objectSha256(harness.s3, harness.bucket, 'drive/limited.bin')).sha256).toBe(
      hash('sha256', bytes),
    );
  });
});
