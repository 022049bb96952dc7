import { createHash, randomBytes } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import {
  type DropboxEmulator,
  type GdriveEmulator,
  objectSha256,
  type RequestRecord,
  s3Backends,
  startDropboxEmulator,
  startGdriveEmulator,
} from '@ferry/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';
import { spawnWorkerProcess, type WorkerProcess } from './testing/worker-process.ts';
import { Md5 } from './transfer/md5-state.ts';

const MIB = 1024 * 1024;
/** PART_SIZE_MIB=5 for every worker here: Dropbox grows it to whole 4 MiB blocks, Drive keeps it. */
const DROPBOX_PART = 8 * MIB;
const DRIVE_PART = 5 * MIB;

function hash(algorithm: string, bytes: Uint8Array): string {
  return createHash(algorithm).update(bytes).digest('hex');
}

/** `bytes=a-b` of every planned part, by part number. */
function partRanges(size: number, partSize: number): Map<number, string> {
  const ranges = new Map<number, string>();
  for (let start = 0, n = 1; start < size; start += partSize, n++) {
    ranges.set(n, `bytes=${start}-${Math.min(start + partSize, size) - 1}`);
  }
  return ranges;
}

/** Ranges of the file downloads that reached the emulator after `time`, sorted. */
function rangesAfter(requests: RequestRecord[], endpoint: string, time: number): string[] {
  return requests
    .filter((r) => r.endpoint === endpoint && r.at > time)
    .map((r) => r.range ?? 'whole file')
    .sort();
}

describe.for(s3Backends())(
  'provider imports to $label resumed by another worker process (Dropbox and Drive emulators)',
  (backend) => {
    let harness: Harness;
    let dropbox: DropboxEmulator | undefined;
    let drive: GdriveEmulator | undefined;
    let processes: WorkerProcess[];

    beforeEach(async () => {
      harness = await Harness.create(backend);
      processes = [];
    });

    afterEach(async () => {
      await Promise.all(processes.map((worker) => worker.stop()));
      await harness?.close();
      await dropbox?.close();
      await drive?.close();
      dropbox = undefined;
      drive = undefined;
    });

    const spawnWorker = async (extra: Record<string, string>): Promise<WorkerProcess> => {
      const worker = spawnWorkerProcess(
        harness.env({
          PART_SIZE_MIB: '5',
          WORKER_CONCURRENCY: '1',
          // A dead worker's job is back in the queue within seconds (production: 30 s).
          JOB_LOCK_MS: '4000',
          ...extra,
        }),
      );
      processes.push(worker);
      await worker.ready;
      return worker;
    };

    it('Dropbox, SIGKILL: the next process reads only the parts not checkpointed and verifies content_hash', async () => {
      dropbox = await startDropboxEmulator();
      const bytes = randomBytes(24 * MIB);
      const file = await dropbox.addFile('/Video/raw.bin', bytes);
      const ranges = partRanges(bytes.length, DROPBOX_PART);
      // A part takes ~2 s: the kill lands mid-file, after the first parts are in.
      dropbox.slowStream({ bytesPerSecond: 4 * MIB });
      const env = {
        DROPBOX_API_URL: dropbox.apiUrl,
        DROPBOX_CONTENT_URL: dropbox.contentUrl,
        PART_CONCURRENCY: '2',
      };
      const first = await spawnWorker(env);
      const id = await harness.submit(
        { type: 'dropbox', path: '/Video/raw.bin', credentials: { accessToken: dropbox.issueAccessToken() } },
        'dropbox/killed.bin',
      );
      await harness.waitForCheckpointedParts(id, 1);

      first.child.kill('SIGKILL');
      expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
      // Every request the first process made arrived before it was gone.
      const deadAt = Date.now();
      const checkpoint = await harness.checkpoints.load(id);
      const checkpointed = [...(checkpoint?.parts.values() ?? [])];
      expect(checkpointed.length).toBeGreaterThanOrEqual(1);
      expect(checkpointed.length).toBeLessThan(ranges.size);
      // Each checkpointed part keeps the SHA-256 of its own 4 MiB blocks: nothing to read again.
      for (const part of checkpointed) {
        const start = (part.partNumber - 1) * DROPBOX_PART;
        const blocks = [0, 4 * MIB].map((at) =>
          hash('sha256', bytes.subarray(start + at, start + at + 4 * MIB)),
        );
        expect(part.digest).toBe(blocks.join(''));
      }

      dropbox.slowStream(null);
      const second = await spawnWorker(env);
      const record = await harness.waitForStatus(id, ['completed', 'failed']);
      const resumedInMs = Date.now() - deadAt;
      expect(record.error, first.output() + second.output()).toBeUndefined();
      // Stalled, not failed: the kill cost no attempt.
      expect(record).toMatchObject({ status: 'completed', attempts: 1, bytesDone: bytes.length });
      expect(record.result).toMatchObject({
        size: bytes.length,
        partCount: ranges.size,
        sourceChecksum: `dropbox-content-hash:${file.contentHash}`,
      });
      expect(await objectSha256(harness.s3, harness.bucket, 'dropbox/killed.bin')).toEqual({
        sha256: hash('sha256', bytes),
        size: bytes.length,
      });
      expect(second.logged('resuming from checkpoint')).toMatchObject([
        { uploadId: checkpoint?.uploadId, finishedParts: checkpointed.length },
      ]);
      // After the kill: each part the checkpoint lacked, once; none it had.
      const missing = [...ranges].filter(([n]) => !checkpoint?.parts.has(n)).map(([, range]) => range);
      expect(rangesAfter(dropbox.requests(), 'files/download', deadAt)).toEqual(missing.sort());
      expect(await harness.openUploads()).toEqual([]);
      expect(await harness.redis.exists(harness.checkpoints.key(id))).toBe(0);
      console.info(
        `[dropbox/sigkill/${backend.name}] checkpointed at kill: ${checkpointed.length}/${ranges.size} parts; ` +
          `kill to completed: ${resumedInMs} ms`,
      );
    });

    it('Google Drive, SIGTERM: the next process continues the MD5 chain from the checkpoint, reading no part twice', async () => {
      drive = await startGdriveEmulator();
      const bytes = randomBytes(16 * MIB + 5);
      const file = await drive.addFile(bytes, { name: 'chained.bin' });
      const ranges = partRanges(bytes.length, DRIVE_PART);
      // A part takes ~1.25 s, one at a time (MD5 is one chain over the file).
      drive.slowStream({ bytesPerSecond: 4 * MIB });
      // No stalled job to wait for here (SIGTERM hands the job back at once): the production lock, so
      // a machine loaded far past its cores cannot starve the renewals of a short one into a lost lock.
      const env = { GDRIVE_API_URL: drive.apiUrl, GDRIVE_TOKEN_URL: drive.tokenUrl, JOB_LOCK_MS: '30000' };
      const first = await spawnWorker(env);
      const id = await harness.submit(
        { type: 'gdrive', fileId: file.id, credentials: { accessToken: drive.issueAccessToken() } },
        'drive/handed-back.bin',
      );
      await harness.waitForCheckpointedParts(id, 1);

      first.child.kill('SIGTERM');
      expect(await first.exited).toEqual({ code: 0, signal: null });
      const goneAt = Date.now();
      expect(first.logged('import handed back to the queue')).toHaveLength(1);
      const checkpoint = await harness.checkpoints.load(id);
      const checkpointed = [...(checkpoint?.parts.values() ?? [])].sort(
        (a, b) => a.partNumber - b.partNumber,
      );
      expect(checkpointed.length).toBeLessThan(ranges.size);
      // An unbroken chain from part 1, each part holding the MD5 state of the file up to its end.
      expect(checkpointed.map((part) => part.partNumber)).toEqual(checkpointed.map((_, i) => i + 1));
      for (const part of checkpointed) {
        const end = Math.min(part.partNumber * DRIVE_PART, bytes.length);
        expect(Md5.fromState(part.digest ?? '').digestHex()).toBe(hash('md5', bytes.subarray(0, end)));
      }

      drive.slowStream(null);
      const second = await spawnWorker(env);
      const record = await harness.waitForStatus(id, ['completed', 'failed']);
      const resumedInMs = Date.now() - goneAt;
      expect(record.error, first.output() + second.output()).toBeUndefined();
      expect(record).toMatchObject({ status: 'completed', attempts: 1, bytesDone: bytes.length });
      expect(record.result).toMatchObject({
        size: bytes.length,
        partCount: ranges.size,
        sourceChecksum: `md5:${file.md5}`,
      });
      expect(file.md5).toBe(hash('md5', bytes));
      expect(await objectSha256(harness.s3, harness.bucket, 'drive/handed-back.bin')).toEqual({
        sha256: hash('sha256', bytes),
        size: bytes.length,
      });
      expect(second.logged('resuming from checkpoint')).toMatchObject([
        { uploadId: checkpoint?.uploadId, finishedParts: checkpointed.length },
      ]);
      // The MD5 of the parts read before the hand-back came from the checkpoint, not from reading them again.
      const missing = [...ranges].filter(([n]) => !checkpoint?.parts.has(n)).map(([, range]) => range);
      expect(rangesAfter(drive.requests(), 'files.media', goneAt)).toEqual(missing.sort());
      const served = drive
        .requests()
        .reduce((sum, r) => sum + (r.endpoint === 'files.media' ? r.bytesSent : 0), 0);
      expect(served).toBe(bytes.length);
      expect(await harness.openUploads()).toEqual([]);
      console.info(
        `[gdrive/sigterm/${backend.name}] checkpointed at exit: ${checkpointed.length}/${ranges.size} parts; ` +
          `exit to completed: ${resumedInMs} ms`,
      );
    });
  },
);

// What a failed import leaves in S3 is asked of each server itself (HEAD, open uploads).
describe.for(s3Backends())(
  'provider digests that do not match the bytes, importing to $label (in-process worker)',
  (backend) => {
    let harness: Harness;
    let dropbox: DropboxEmulator | undefined;
    let drive: GdriveEmulator | undefined;

    beforeEach(async () => {
      harness = await Harness.create(backend);
    });

    afterEach(async () => {
      await harness?.close();
      await dropbox?.close();
      await drive?.close();
      dropbox = undefined;
      drive = undefined;
    });

    async function expectNothingLeft(id: string, key: string): Promise<void> {
      await expect(
        harness.s3.send(new HeadObjectCommand({ Bucket: harness.bucket, Key: key })),
      ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
      expect(await harness.openUploads()).toEqual([]);
      expect(await harness.redis.exists(harness.checkpoints.key(id))).toBe(0);
    }

    it('Dropbox: one flipped byte fails the import with CHECKSUM_MISMATCH and leaves nothing behind', async () => {
      dropbox = await startDropboxEmulator();
      const bytes = randomBytes(16 * MIB);
      const file = await dropbox.addFile('/rotten.bin', bytes);
      // Whole-looking answers of the right length: only content_hash can tell.
      dropbox.corruptNextDownloads({ atByte: 3 * MIB + 17, times: 1 });
      await harness.startWorker({
        DROPBOX_API_URL: dropbox.apiUrl,
        DROPBOX_CONTENT_URL: dropbox.contentUrl,
        PART_SIZE_MIB: '5',
      });
      const id = await harness.submit(
        { type: 'dropbox', path: '/rotten.bin', credentials: { accessToken: dropbox.issueAccessToken() } },
        'dropbox/rotten.bin',
      );
      const record = await harness.waitForStatus(id, ['completed', 'failed']);
      expect(record.error).toMatchObject({ code: 'CHECKSUM_MISMATCH', attempts: 1 });
      expect(record.error?.message).toContain(file.contentHash);
      await harness.waitForJobState(id, ['failed']);
      await expectNothingLeft(id, 'dropbox/rotten.bin');
      // Every part read once, in full: the parts themselves looked fine.
      const downloads = dropbox.requests().filter((r) => r.endpoint === 'files/download');
      expect(downloads.map((r) => ({ bytesSent: r.bytesSent, completed: r.completed }))).toEqual([
        { bytesSent: DROPBOX_PART, completed: true },
        { bytesSent: DROPBOX_PART, completed: true },
      ]);
    });

    it('Google Drive: one flipped byte fails the import with CHECKSUM_MISMATCH and leaves nothing behind', async () => {
      drive = await startGdriveEmulator();
      const bytes = randomBytes(12 * MIB);
      const file = await drive.addFile(bytes);
      drive.corruptNextDownloads({ atByte: 0, times: 1 });
      await harness.startWorker({
        GDRIVE_API_URL: drive.apiUrl,
        GDRIVE_TOKEN_URL: drive.tokenUrl,
        PART_SIZE_MIB: '5',
      });
      const id = await harness.submit(
        { type: 'gdrive', fileId: file.id, credentials: { accessToken: drive.issueAccessToken() } },
        'drive/rotten.bin',
      );
      const record = await harness.waitForStatus(id, ['completed', 'failed']);
      expect(record.error).toMatchObject({ code: 'CHECKSUM_MISMATCH', attempts: 1 });
      expect(record.error?.message).toContain(file.md5);
      await harness.waitForJobState(id, ['failed']);
      await expectNothingLeft(id, 'drive/rotten.bin');
      expect(drive.requests().filter((r) => r.endpoint === 'files.media')).toHaveLength(3);
    });
  },
);
