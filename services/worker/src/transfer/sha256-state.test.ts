import { createHash, randomBytes } from 'node:crypto';
import { isFerryError } from '@ferry/shared';
import { describe, expect, it } from 'vitest';
import { Sha256 } from './sha256-state.ts';

function nodeSha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('Sha256', () => {
  it('matches the FIPS 180-4 examples', () => {
    expect(new Sha256().digestHex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(new Sha256().update(Buffer.from('abc')).digestHex()).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(
      new Sha256()
        .update(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))
        .digestHex(),
    ).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('matches node:crypto for every size 0..300, fed in uneven chunks', () => {
    for (let size = 0; size <= 300; size++) {
      const data = randomBytes(size);
      const sha = new Sha256();
      for (let offset = 0, step = 1; offset < size; offset += step, step = (step * 7) % 97 || 1) {
        sha.update(data.subarray(offset, offset + step));
      }
      expect(sha.digestHex(), `size ${size}`).toBe(nodeSha256(data));
    }
  });

  it('resumes from an exported state at any offset, as another process reading the next part would', () => {
    const data = randomBytes(5000);
    for (const cut of [0, 1, 55, 56, 63, 64, 65, 127, 128, 4999, 5000]) {
      const first = new Sha256().update(data.subarray(0, cut));
      const state = first.exportState();
      expect(state.length).toBeLessThanOrEqual(170);
      const resumed = Sha256.fromState(state).update(data.subarray(cut));
      expect(resumed.digestHex(), `cut at ${cut}`).toBe(nodeSha256(data));
      // digestHex leaves the state as it was: hashing goes on after it.
      first.digestHex();
      expect(first.update(data.subarray(cut)).digestHex()).toBe(nodeSha256(data));
    }
  });

  it('hashes a multi-megabyte buffer in one update like node:crypto', () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    expect(new Sha256().update(data).digestHex()).toBe(nodeSha256(data));
  });

  it('refuses a state that is malformed, of another format, or inconsistent', () => {
    const valid = new Sha256().update(Buffer.from('hello')).exportState();
    for (const state of [
      '',
      valid.replace('sha256v1', 'md5v1'),
      valid.replace(/\.5\./, '.6.'),
      `${valid}x`,
      'sha256v1.00.5.aGVsbG8=',
    ]) {
      let thrown: unknown;
      try {
        Sha256.fromState(state);
      } catch (error) {
        thrown = error;
      }
      expect(isFerryError(thrown), JSON.stringify(state)).toBe(true);
    }
  });
});
