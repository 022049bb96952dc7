import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFileSource } from '@ferry/local-stack';
import { ErrorCode } from '@ferry/shared';
import { objectSha256 } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';

const MIB = 1024 * 1024;
const SIZE = 20 * MIB;

/**
 * A real HTTP origin whose files get rewritten in the middle of an import: at the ranged GET number
 * `rewriteAt` of a file, before answering it, the file gets new bytes and a new modification time
 * (so a new ETag). Optionally the origin ignores If-Range but honors If-Match, as some do.
 */
async function startChangingSource(dir: string) {
  const rewrites = new Map<string, { at: number; bytes: Buffer }>();
  const rangedGets = new Map<string, number>();
  const preconditionFailures: string[] = [];
  let ignoreIfRange = false;
  const etagOf = (path: string) => {
    const stat = statSync(path);
    return `"${stat.size.toString(16)}-${stat.mtime.getTime().toString(16)}"`;
  };
  const source = await startFileSource({
    root: dir,
    intercept: (req: IncomingMessage, res: ServerResponse) => {
      const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).slice(1);
      const path = join(dir, name);
      if (req.method === 'GET' && req.headers.range) {
        const count = (rangedGets.get(name) ?? 0) + 1;
        rangedGets.set(name, count);
        const rewrite = rewrites.get(name);
        if (rewrite && rewrite.at === count) {
          const mtime = statSync(path).mtime;
          writeFileSync(path, rewrite.bytes);
          utimesSync(path, mtime, new Date(mtime.getTime() + 10_000));
        }
      }
      if (ignoreIfRange) {
        delete req.headers['if-range'];
        const ifMatch = req.headers['if-match'];
        if (ifMatch && ifMatch !== etagOf(path)) {
          preconditionFailures.push(name);
          res.statusCode = 412;
          res.end();
          return true;
        }
      }
      return false;
    },
  });
  return {
    source,
    rangedGets,
    preconditionFailures,
    /** Rewrites `name` with `bytes` when its ranged GET number `at` arrives. */
    rewriteAt(name: string, at: number, bytes: Buffer) {
      rewrites.set(name, { at, bytes });
    },
    set ignoreIfRange(value: boolean) {
      ignoreIfRange = value;
    },
  };
}

function twoVersions(dir: string, name: string) {
  const first = randomBytes(SIZE);
  const second = randomBytes(SIZE);
  writeFileSync(join(dir, name), first);
  return { second, secondSha256: createHash('sha256').update(second).digest('hex') };
}

describe('a source rewritten between two parts (real HTTP origin, real S3 server)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-changing-'));
  let origin: Awaited<ReturnType<typeof startChangingSource>>;
  let restarting: Harness;
  let failing: Harness;

  beforeAll(async () => {
    origin = await startChangingSource(dir);
    [restarting, failing] = await Promise.all([Harness.create(), Harness.create()]);
    // One part at a time, so "between two parts" is exact: the third part meets the new version.
    const settings = { PART_SIZE_MIB: '5', PART_CONCURRENCY: '1' };
    await restarting.startWorker(settings);
    await failing.startWorker({ ...settings, ON_SOURCE_CHANGE: 'fail' });
  });

  afterAll(async () => {
    await Promise.all([restarting?.close(), failing?.close()]);
    await origin?.source.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ON_SOURCE_CHANGE=restart (default): aborts the old upload and imports the new version whole', async () => {
    const { second, secondSha256 } = twoVersions(dir, 'restart.bin');
    origin.rewriteAt('restart.bin', 3, second);
    const id = await restarting.submit(
      { type: 'http', url: `${origin.source.url}/restart.bin` },
      'restart.bin',
    );
    const record = await restarting.waitForStatus(id, ['completed', 'failed'], 60_000);
    expect(record.error).toBeUndefined();
    expect(record.status).toBe('completed');
    // Never a mix: every byte is the new version's.
    expect(await objectSha256(restarting.s3, restarting.bucket, 'restart.bin')).toEqual({
      sha256: secondSha256,
      size: SIZE,
    });
    // 2 parts of the old version, the part that met the change, then all 4 parts again.
    expect(origin.rangedGets.get('restart.bin')).toBe(3 + 4);
    expect(await restarting.openUploads()).toEqual([]);
  });

  it('ON_SOURCE_CHANGE=fail: fails with SOURCE_CHANGED and leaves no upload behind', async () => {
    const { second } = twoVersions(dir, 'fail.bin');
    origin.rewriteAt('fail.bin', 3, second);
    const id = await failing.submit({ type: 'http', url: `${origin.source.url}/fail.bin` }, 'fail.bin');
    const record = await failing.waitForStatus(id, ['completed', 'failed'], 60_000);
    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ code: ErrorCode.SOURCE_CHANGED, attempts: 1 });
    expect(await failing.openUploads()).toEqual([]);
    expect(await failing.redis.exists(failing.checkpoints.key(id))).toBe(0);
  });

  it('catches the change through If-Match on an origin that ignores If-Range', async () => {
    const { second, secondSha256 } = twoVersions(dir, 'if-match.bin');
    origin.rewriteAt('if-match.bin', 2, second);
    origin.ignoreIfRange = true;
    try {
      const id = await restarting.submit(
        { type: 'http', url: `${origin.source.url}/if-match.bin` },
        'if-match.bin',
      );
      const record = await restarting.waitForStatus(id, ['completed', 'failed'], 60_000);
      expect(record.error).toBeUndefined();
      expect(origin.preconditionFailures).toContain('if-match.bin');
      expect(await objectSha256(restarting.s3, restarting.bucket, 'if-match.bin')).toEqual({
        sha256: secondSha256,
        size: SIZE,
      });
      expect(await restarting.openUploads()).toEqual([]);
    } finally {
      origin.ignoreIfRange = false;
    }
  });
});
