import { createHash, randomBytes } from 'node:crypto';
import {
  type DropboxEmulator,
  objectSha256,
  type S3TestBackend,
  s3Backends,
  startDropboxEmulator,
} from '@ferry/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';

const MIB = 1024 * 1024;

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A harness on `backend` (fauxqs unless given) and a Dropbox emulator of its own for every test:
 * each test's worker points at its own emulator. Both are closed after the test, the harness's
 * workers with it.
 */
function perTest(backend?: S3TestBackend): { readonly harness: Harness; readonly dropbox: DropboxEmulator } {
  let harness: Harness | undefined;
  let dropbox: DropboxEmulator | undefined;
  beforeEach(async () => {
    harness = await Harness.create(backend);
    dropbox = await startDropboxEmulator();
  });
  afterEach(async () => {
    await harness?.close();
    await dropbox?.close();
    harness = undefined;
    dropbox = undefined;
  });
  return {
    get harness() {
      return harness as Harness;
    },
    get dropbox() {
      return dropbox as DropboxEmulator;
    },
  };
}

function providerEnv(dropbox: DropboxEmulator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DROPBOX_API_URL: dropbox.apiUrl,
    DROPBOX_CONTENT_URL: dropbox.contentUrl,
    PART_SIZE_MIB: '8',
    ...extra,
  };
}

/** The import paths, on every S3 server: ranged parts, parts read again, starting over on a new revision. */
describe.for(s3Backends())(
  'Dropbox imports to $label (real worker, Redis and S3; the Dropbox emulator)',
  (backend) => {
    const world = perTest(backend);

    it('imports by revision in 4 MiB-aligned parts and verifies content_hash', async () => {
      const { harness, dropbox } = world;
      const bytes = randomBytes(20 * MIB + 3);
      const file = await dropbox.addFile('/Reports/q3 résumé.bin', bytes);
      const token = dropbox.issueAccessToken();
      await harness.startWorker(providerEnv(dropbox, { PART_SIZE_MIB: '5' }));

      const id = await harness.submit(
        { type: 'dropbox', path: '/Reports/q3 résumé.bin', credentials: { accessToken: token } },
        'dropbox/q3.bin',
      );
      const record = await harness.waitForStatus(id, ['completed', 'failed']);
      expect(record.error).toBeUndefined();
      expect(record.result).toMatchObject({
        size: bytes.length,
        // PART_SIZE_MIB=5 grows to whole 4 MiB blocks: 8 MiB parts.
        partCount: 3,
        sourceChecksum: `dropbox-content-hash:${file.contentHash}`,
      });
      expect(await objectSha256(harness.s3, harness.bucket, 'dropbox/q3.bin')).toEqual({
        sha256: sha256(bytes),
        size: bytes.length,
      });
      const downloads = dropbox.requests().filter((r) => r.endpoint === 'files/download');
      expect(downloads.map((r) => r.range).sort()).toEqual([
        `bytes=0-${8 * MIB - 1}`,
        `bytes=${16 * MIB}-${bytes.length - 1}`,
        `bytes=${8 * MIB}-${16 * MIB - 1}`,
      ]);
    });

    it('retries parts cut off mid-stream and still matches content_hash', async () => {
      const { harness, dropbox } = world;
      const bytes = randomBytes(16 * MIB);
      await dropbox.addFile('/flaky.bin', bytes);
      dropbox.resetMidStream({ afterBytes: 3 * MIB, times: 2 });
      await harness.startWorker(providerEnv(dropbox));

      const id = await harness.submit(
        { type: 'dropbox', path: '/flaky.bin', credentials: { accessToken: dropbox.issueAccessToken() } },
        'dropbox/flaky.bin',
      );
      const record = await harness.waitForStatus(id, ['completed', 'failed']);
      expect(record.error).toBeUndefined();
      expect(record.bytesDone).toBe(16 * MIB);
      expect((await objectSha256(harness.s3, harness.bucket, 'dropbox/flaky.bin')).sha256).toBe(
        sha256(bytes),
      );
      expect(await harness.openUploads()).toEqual([]);
    });

    it('starts over on the new revision when the file changes mid-import', async () => {
      const { harness, dropbox } = world;
      await dropbox.addFile('/changing.bin', randomBytes(16 * MIB));
      const replacement = randomBytes(12 * MIB);
      dropbox.slowStream({ bytesPerSecond: 8 * MIB });
      await harness.startWorker(providerEnv(dropbox, { PART_CONCURRENCY: '1' }));

      const id = await harness.submit(
        { type: 'dropbox', path: '/changing.bin', credentials: { accessToken: dropbox.issueAccessToken() } },
        'dropbox/changing.bin',
      );
      await harness.waitFor(id, (r) => r.bytesDone > 0);
      const newer = await dropbox.replaceFile('/changing.bin', replacement);
      dropbox.slowStream(null);
      const record = await harness.waitForStatus(id, ['completed', 'failed']);
      expect(record.error).toBeUndefined();
      expect(record.result?.sourceChecksum).toBe(`dropbox-content-hash:${newer.contentHash}`);
      expect(await objectSha256(harness.s3, harness.bucket, 'dropbox/changing.bin')).toEqual({
        sha256: sha256(replacement),
        size: replacement.length,
      });
      // The upload begun for the old revision was aborted, not left behind.
      expect(await harness.openUploads()).toEqual([]);
    });
  },
);

/** Tokens, provider errors and rate limits: about Dropbox, not S3, so on the default server only. */
describe('Dropbox imports, provider side (real worker, Redis and S3; the Dropbox emulator)', () => {
  const world = perTest();

  it('refreshes an expired access token once and carries on', async () => {
    const { harness, dropbox } = world;
    const bytes = randomBytes(24 * MIB);
    await dropbox.addFile('/big.bin', bytes);
    const accessToken = dropbox.issueAccessToken();
    const refreshToken = dropbox.issueRefreshToken({ appKey: 'app-key', appSecret: 'app-secret' });
    // Slow enough that the token can be expired while parts are still to come.
    dropbox.slowStream({ bytesPerSecond: 16 * MIB });
    await harness.startWorker(providerEnv(dropbox, { PART_CONCURRENCY: '1' }));

    const id = await harness.submit(
      {
        type: 'dropbox',
        path: '/big.bin',
        credentials: { accessToken, refreshToken, appKey: 'app-key', appSecret: 'app-secret' },
      },
      'dropbox/refreshed.bin',
    );
    await harness.waitFor(id, (r) => r.bytesDone > 0);
    dropbox.expireToken(accessToken);
    dropbox.slowStream(null);
    const record = await harness.waitForStatus(id, ['completed', 'failed']);
    expect(record.error).toBeUndefined();
    expect(record.attempts).toBe(1);
    expect(dropbox.stats().byEndpoint['oauth2/token']).toBe(1);
    expect((await objectSha256(harness.s3, harness.bucket, 'dropbox/refreshed.bin')).sha256).toBe(
      sha256(bytes),
    );
  });

  it('fails at once with SOURCE_UNAUTHORIZED for a revoked token, and SOURCE_NOT_FOUND for a missing path', async () => {
    const { harness, dropbox } = world;
    await dropbox.addFile('/there.bin', randomBytes(1024));
    const revoked = dropbox.issueAccessToken();
    dropbox.revokeToken(revoked);
    const good = dropbox.issueAccessToken();
    await harness.startWorker(providerEnv(dropbox));

    const unauthorized = await harness.submit(
      { type: 'dropbox', path: '/there.bin', credentials: { accessToken: revoked } },
      'dropbox/revoked.bin',
    );
    const missing = await harness.submit(
      { type: 'dropbox', path: '/not-there.bin', credentials: { accessToken: good } },
      'dropbox/missing.bin',
    );
    const [a, b] = await Promise.all([
      harness.waitForStatus(unauthorized, ['completed', 'failed']),
      harness.waitForStatus(missing, ['completed', 'failed']),
    ]);
    expect(a.error).toMatchObject({ code: 'SOURCE_UNAUTHORIZED', attempts: 1 });
    expect(a.error?.message).not.toContain(revoked);
    expect(b.error).toMatchObject({ code: 'SOURCE_NOT_FOUND', attempts: 1 });
    expect(b.error?.message).toContain('path/not_found');
  });

  it('puts an import whose account is paused longer than RATE_LIMIT_MAX_WAIT_S back in the queue, without using an attempt', async () => {
    const { harness, dropbox } = world;
    const bytes = randomBytes(1024 * 1024);
    await dropbox.addFile('/paused.bin', bytes);
    // The import's third request in a second (the version check before completing) is refused, with
    // a pause longer than a request may wait; once delayed, the job resumes from its checkpoint.
    dropbox.setRateLimit({ requestsPerSecond: 2, retryAfterS: 2 });
    await harness.startWorker(providerEnv(dropbox, { RATE_LIMIT_MAX_WAIT_S: '0' }));

    const id = await harness.submit(
      { type: 'dropbox', path: '/paused.bin', credentials: { accessToken: dropbox.issueAccessToken() } },
      'dropbox/paused.bin',
    );
    expect(await harness.waitForJobState(id, ['delayed', 'completed', 'failed'])).toBe('delayed');
    expect((await harness.store.get(id))?.status).toBe('queued');

    const record = await harness.waitForStatus(id, ['completed', 'failed']);
    expect(record.error).toBeUndefined();
    // Run twice, on one attempt: BullMQ counts the completion, not the delay. The record turns
    // completed a moment before the BullMQ job does: wait for the job.
    expect(record.attempts).toBe(1);
    expect(await harness.waitForJobState(id, ['completed', 'failed'])).toBe('completed');
    expect((await harness.queue.getJob(id))?.attemptsMade).toBe(1);
    expect(dropbox.stats().rateLimited).toBeGreaterThan(0);
    expect((await objectSha256(harness.s3, harness.bucket, 'dropbox/paused.bin')).sha256).toBe(sha256(bytes));
  });
});
