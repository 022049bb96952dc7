import { createHash, randomBytes } from 'node:crypto';
import { type DropboxEmulator, objectSha256, startDropboxEmulator } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { spawnWorkerProcess, type WorkerProcess } from './testing/worker-process.ts';

const KIB = 1024;
const IMPORTS = 50;
const PROVIDER_LIMIT_PER_S = 20;
/**
 * A request already on its way when another worker's request was answered 429 arrives just after
 * (the bench allows 100 ms; a loaded CI machine's event loops lag more).
 */
const IN_FLIGHT_GRACE_MS = 250;

describe('50 Dropbox imports across 3 worker processes, the account limited to 20 req/s', () => {
  let harness: Harness;
  let dropbox: DropboxEmulator;
  const workers: WorkerProcess[] = [];
  const files: { path: string; bytes: Buffer; contentHash: string }[] = [];

  beforeAll(async () => {
    harness = await Harness.create();
    dropbox = await startDropboxEmulator({ rateLimit: { requestsPerSecond: PROVIDER_LIMIT_PER_S } });
    for (let i = 0; i < IMPORTS; i++) {
      const path = `/bulk/file-${i}.bin`;
      const bytes = randomBytes(256 * KIB + i * 7919);
      const { contentHash } = await dropbox.addFile(path, bytes);
      files.push({ path, bytes, contentHash });
    }
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await harness?.close();
    await dropbox?.close();
  });

  it('imports every file byte-identical, content_hash verified, with the fleet backing off as one', async () => {
    const env = harness.env({
      DROPBOX_API_URL: dropbox.apiUrl,
      DROPBOX_CONTENT_URL: dropbox.contentUrl,
      DROPBOX_RATE_LIMIT_PER_S: String(PROVIDER_LIMIT_PER_S),
      WORKER_CONCURRENCY: '6',
    });
    for (let i = 0; i < 3; i++) workers.push(spawnWorkerProcess(env));
    await Promise.all(workers.map((worker) => worker.ready));

    // Two tokens of one user, as clients that refresh their own tokens send: one account, one limit.
    const tokens = [dropbox.issueAccessToken(), dropbox.issueAccessToken()];
    const ids = await Promise.all(
      files.map((file, i) =>
        harness.submit(
          { type: 'dropbox', path: file.path, credentials: { accessToken: tokens[i % 2] ?? '' } },
          `bulk/${i}.bin`,
        ),
      ),
    );
    const records = await Promise.all(
      ids.map((id) => harness.waitForStatus(id, ['completed', 'failed', 'canceled'], 90_000)),
    );

    expect(records.filter((record) => record.status !== 'completed').map((r) => r.error)).toEqual([]);
    for (const [i, record] of records.entries()) {
      const file = files[i];
      if (!file) throw new Error('no file');
      expect(record.result?.sourceChecksum).toBe(`dropbox-content-hash:${file.contentHash}`);
      const stored = await objectSha256(harness.s3, harness.bucket, `bulk/${i}.bin`);
      expect(stored.sha256).toBe(createHash('sha256').update(file.bytes).digest('hex'));
    }

    const stats = dropbox.stats();
    // Every import: get_metadata, one download, get_metadata again before completing (plus a
    // lookup of each token's owner).
    expect(stats.requests).toBeGreaterThanOrEqual(IMPORTS * 3);
    expect(stats.rateLimited / stats.requests).toBeLessThanOrEqual(0.05);
    expect(dropbox.requestsDuringPauses({ graceMs: IN_FLIGHT_GRACE_MS })).toEqual([]);
    // All three processes took part.
    const handled = workers.map((worker) => worker.logged('import completed').length);
    expect(handled.filter((count) => count > 0)).toHaveLength(3);
  });

  it('when the provider allows less than configured, pauses the whole fleet on each 429 and loses nothing', async () => {
    // Dropbox lowered the account's limit (or the configuration is wrong): Ferry spaces requests for
    // 20/s, the provider answers 429 past 4/s, and every worker must wait out each pause.
    dropbox.setRateLimit({ requestsPerSecond: 4, retryAfterS: 1 });
    dropbox.resetStats();
    const accessToken = dropbox.issueAccessToken();
    const some = files.slice(0, 12);
    const ids = await Promise.all(
      some.map((file, i) =>
        harness.submit({ type: 'dropbox', path: file.path, credentials: { accessToken } }, `again/${i}.bin`),
      ),
    );
    const records = await Promise.all(
      ids.map((id) => harness.waitForStatus(id, ['completed', 'failed', 'canceled'], 90_000)),
    );
    expect(records.filter((record) => record.status !== 'completed').map((r) => r.error)).toEqual([]);
    // Waiting for a provider never uses up one of the import's attempts.
    expect(records.map((record) => record.attempts)).toEqual(some.map(() => 1));
    expect(dropbox.stats().rateLimited).toBeGreaterThan(0);
    expect(dropbox.pauses().length).toBeGreaterThan(0);
    expect(dropbox.requestsDuringPauses({ graceMs: IN_FLIGHT_GRACE_MS })).toEqual([]);
  });
});
