import { createHash, randomBytes } from 'node:crypto';
import { isFerryError } from '@ferry/shared';
import { describe, expect, it } from 'vitest';
import {
  combineDropboxContentHash,
  DROPBOX_BLOCK_SIZE,
  DropboxBlockHasher,
  dropboxContentHash,
} from './dropbox-content-hash.ts';

const MiB = 1024 * 1024;

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** Dropbox's algorithm as its documentation states it, written independently of the module. */
function referenceContentHash(data: Uint8Array): string {
  const digests: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += 4 * MiB) {
    digests.push(sha256(data.subarray(offset, offset + 4 * MiB)));
  }
  return sha256(Buffer.concat(digests)).toString('hex');
}

/** Feeds data to a fresh hasher in chunks of random sizes (empty ones included). */
function hashPart(data: Uint8Array, maxChunk: number): string {
  const hasher = new DropboxBlockHasher();
  for (let offset = 0; offset < data.length; ) {
    const size = Math.floor(Math.random() * (maxChunk + 1));
    hasher.update(data.subarray(offset, offset + size));
    offset += size;
  }
  return hasher.finish();
}

describe('Dropbox content hash', () => {
  it('uses 4 MiB blocks', () => {
    expect(DROPBOX_BLOCK_SIZE).toBe(4 * MiB);
  });

  it('hashes an empty file as the SHA-256 of no block digests', () => {
    const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    expect(dropboxContentHash(new Uint8Array(0))).toBe(empty);
    expect(new DropboxBlockHasher().finish()).toBe('');
    expect(combineDropboxContentHash([''])).toBe(empty);
    expect(combineDropboxContentHash([])).toBe(empty);
  });

  it('hashes a file of one byte as the SHA-256 of its one block digest', () => {
    const data = Buffer.from('a');
    expect(dropboxContentHash(data)).toBe(sha256(sha256(data)).toString('hex'));
  });

  it('hashes a file of exactly 4 MiB as one block', () => {
    const data = randomBytes(4 * MiB);
    const part = hashPart(data, 1.5 * MiB);
    expect(part).toBe(sha256(data).toString('hex'));
    expect(dropboxContentHash(data)).toBe(sha256(sha256(data)).toString('hex'));
    expect(dropboxContentHash(data)).toBe(referenceContentHash(data));
  });

  it('hashes 4 MiB + 1 byte as a full block and a one-byte block', () => {
    const data = randomBytes(4 * MiB + 1);
    const expected = sha256(
      Buffer.concat([sha256(data.subarray(0, 4 * MiB)), sha256(data.subarray(4 * MiB))]),
    ).toString('hex');
    expect(dropboxContentHash(data)).toBe(expected);
    expect(combineDropboxContentHash([hashPart(data, 3 * MiB)])).toBe(expected);
  });

  it('combines parts of 8 MiB and 2 MiB, hashed out of order in random chunks, into the whole hash', () => {
    const data = randomBytes(10 * MiB);
    const second = hashPart(data.subarray(8 * MiB), 700_000);
    const first = hashPart(data.subarray(0, 8 * MiB), 3 * MiB);
    expect(first).toHaveLength(2 * 64);
    expect(second).toHaveLength(64);
    const combined = combineDropboxContentHash([first, second]);
    expect(combined).toBe(dropboxContentHash(data));
    expect(combined).toBe(referenceContentHash(data));
  });

  it('matches the reference for sizes around block boundaries, fed in tiny and large chunks', () => {
    for (const size of [1, 4 * MiB - 1, 8 * MiB, 8 * MiB + 17]) {
      const data = randomBytes(size);
      expect(combineDropboxContentHash([hashPart(data, 100_000)]), `size ${size}`).toBe(
        referenceContentHash(data),
      );
    }
  });

  it('refuses malformed part digests, naming the part', () => {
    const good = sha256(Buffer.from('x')).toString('hex');
    for (const bad of [good.slice(1), good.toUpperCase(), `${good}00`, 'not hex']) {
      let caught: unknown;
      try {
        combineDropboxContentHash([good, bad]);
      } catch (error) {
        caught = error;
      }
      expect(isFerryError(caught), bad).toBe(true);
      if (isFerryError(caught)) expect(caught.details?.[0]?.field).toBe('partBlockDigests[1]');
    }
  });

  it('refuses use after finish', () => {
    const hasher = new DropboxBlockHasher().update(Buffer.from('abc'));
    hasher.finish();
    expect(() => hasher.update(Buffer.from('d'))).toThrow(/after finish/);
    expect(() => hasher.finish()).toThrow(/twice/);
  });
});
