import { createHash, randomBytes } from 'node:crypto';
import { ErrorCode } from '@ferry/shared';
import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.ts';
import { DigestChecks, expectedSizeMismatch, type PartDigests } from './digest-checks.ts';
import { DROPBOX_BLOCK_SIZE } from './dropbox-content-hash.ts';

const data = randomBytes(100_000);
const parts = [data.subarray(0, 30_000), data.subarray(30_000, 60_000), data.subarray(60_000)];
const expected = {
  md5: createHash('md5').update(data).digest('base64'),
  sha256: createHash('sha256').update(data).digest('hex').toUpperCase(),
  crc32c: crc32c(data).toString(16).padStart(8, '0'),
};

/** Hashes each part as a fresh worker would: only the checkpoint's JSON of the part before it. */
function hashParts(checks: DigestChecks, inOrder: Uint8Array[]): PartDigests[] {
  const states: PartDigests[] = [];
  for (const part of inOrder) {
    const previous = states.at(-1);
    const hasher = checks.partHasher(previous ? JSON.parse(JSON.stringify(previous)) : undefined);
    hasher.update(part.subarray(0, 1000));
    hasher.update(part.subarray(1000));
    states.push(hasher.finish());
  }
  return states;
}

describe('DigestChecks', () => {
  it('verifies md5 (base64), sha256 (hex, any case) and crc32c from part states carried through JSON', () => {
    const checks = new DigestChecks(undefined, expected);
    expect(checks.any).toBe(true);
    expect(checks.sequential).toBe(true);
    expect(checks.alignment).toBe(1);
    const states = hashParts(checks, parts);
    expect(states.every((state) => checks.covers(state))).toBe(true);
    expect(() => checks.verify(states)).not.toThrow();
  });

  it('combines crc32c alone from parts hashed out of order (no chain, so parallel lanes)', () => {
    const checks = new DigestChecks(undefined, { crc32c: expected.crc32c });
    expect(checks.sequential).toBe(false);
    const states = parts.map((part) => {
      const hasher = checks.partHasher(undefined);
      hasher.update(part);
      return hasher.finish();
    });
    expect(() => checks.verify(states)).not.toThrow();
  });

  it('fails CHECKSUM_MISMATCH naming the field that did not hold', () => {
    const wrongMd5 = createHash('md5').update('other').digest('hex');
    const checks = new DigestChecks(undefined, { ...expected, md5: wrongMd5 });
    expect(() => checks.verify(hashParts(checks, parts))).toThrow(
      expect.objectContaining({
        code: ErrorCode.CHECKSUM_MISMATCH,
        retryable: false,
        message: expect.stringContaining(`where expected.md5 states ${wrongMd5}`),
      }),
    );
  });

  it("keeps the source's own digest beside the expected ones, each in its own slot", () => {
    const md5 = createHash('md5').update(data).digest('hex');
    const checks = new DigestChecks({ algorithm: 'md5', value: md5 }, { sha256: expected.sha256 });
    const states = hashParts(checks, parts);
    expect(Object.keys(states[0] ?? {}).sort()).toEqual(['digest', 'expectedDigests']);
    expect(() => checks.verify(states)).not.toThrow();
    // A part recorded before the request's digests were checked lacks their states.
    expect(checks.covers({ digest: states[0]?.digest as string })).toBe(false);
  });

  it("takes the Dropbox block alignment when the source's digest needs it", () => {
    const checks = new DigestChecks(
      { algorithm: 'dropbox-content-hash', value: '0'.repeat(64) },
      { crc32c: '00000000' },
    );
    expect(checks.alignment).toBe(DROPBOX_BLOCK_SIZE);
    expect(checks.sequential).toBe(false);
  });

  it('checks the digests of an empty file', () => {
    const empty = new DigestChecks(undefined, {
      md5: 'd41d8cd98f00b204e9800998ecf8427e',
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      crc32c: 'AAAAAA==',
    });
    expect(() => empty.verify([])).not.toThrow();
  });

  it('has nothing to do without digests', () => {
    const none = new DigestChecks(undefined, { size: 3 });
    expect(none.any).toBe(false);
    expect(none.covers({})).toBe(true);
  });
});

describe('expectedSizeMismatch', () => {
  it('fails only a known size that differs from the expected one', () => {
    expect(expectedSizeMismatch(undefined, 5)).toBeNull();
    expect(expectedSizeMismatch({ size: 5 }, null)).toBeNull();
    expect(expectedSizeMismatch({ size: 5 }, 5)).toBeNull();
    expect(expectedSizeMismatch({ size: 5 }, 6)).toMatchObject({
      code: ErrorCode.CHECKSUM_MISMATCH,
      message: 'the source is 6 bytes where expected.size states 5',
    });
  });
});
