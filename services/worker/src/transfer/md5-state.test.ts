import { createHash, randomBytes } from 'node:crypto';
import { isFerryError } from '@ferry/shared';
import { describe, expect, it } from 'vitest';
import { Md5 } from './md5-state.ts';

function nodeMd5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/** Deterministic so a failure reproduces: mulberry32. */
function seededRandom(seed: number): (below: number) => number {
  let s = seed >>> 0;
  return (below) => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * below);
  };
}

/** Splits data into chunks of random sizes (including empty ones) up to maxChunk. */
function randomChunks(data: Uint8Array, random: (below: number) => number, maxChunk: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < data.length; ) {
    const size = random(maxChunk + 1);
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

describe('Md5', () => {
  it('hashes the empty input', () => {
    expect(new Md5().digestHex()).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(new Md5().update(new Uint8Array(0)).digestHex()).toBe(nodeMd5(new Uint8Array(0)));
  });

  it('matches the RFC 1321 test suite', () => {
    const suite: [string, string][] = [
      ['', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['a', '0cc175b9c0f1b6a831c399e269772661'],
      ['abc', '900150983cd24fb0d6963f7d28e17f72'],
      ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
      ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
      ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
      ['1234567890'.repeat(8), '57edf4a22be3c955ac49da2e2107b67a'],
    ];
    for (const [text, digest] of suite) {
      expect(new Md5().update(Buffer.from(text)).digestHex()).toBe(digest);
    }
  });

  it('matches node:crypto for every size 0..300 fed in random chunk splits', () => {
    const random = seededRandom(1);
    for (let size = 0; size <= 300; size++) {
      const data = randomBytes(size);
      const md5 = new Md5();
      for (const chunk of randomChunks(data, random, 1 + random(130))) md5.update(chunk);
      expect(md5.digestHex(), `size ${size}`).toBe(nodeMd5(data));
    }
  });

  it('reads input at any byte offset of its buffer', () => {
    const backing = randomBytes(1000);
    for (let start = 0; start < 8; start++) {
      const view = new Uint8Array(backing.buffer, backing.byteOffset + start, 700);
      expect(new Md5().update(view).digestHex()).toBe(nodeMd5(view));
    }
  });

  it('matches node:crypto on 20 MiB of random data, whole and in chunks', () => {
    const data = randomBytes(20 * 1024 * 1024);
    const expected = nodeMd5(data);
    expect(new Md5().update(data).digestHex()).toBe(expected);
    const md5 = new Md5();
    for (const chunk of randomChunks(data, seededRandom(2), 300_000)) md5.update(chunk);
    expect(md5.digestHex()).toBe(expected);
  });

  it('keeps going after digestHex', () => {
    const data = randomBytes(200);
    const md5 = new Md5().update(data.subarray(0, 70));
    expect(md5.digestHex()).toBe(nodeMd5(data.subarray(0, 70)));
    expect(md5.digestHex()).toBe(nodeMd5(data.subarray(0, 70)));
    md5.update(data.subarray(70));
    expect(md5.digestHex()).toBe(nodeMd5(data));
  });

  it('resumes from an exported state at any point, mid-block included', () => {
    const data = randomBytes(1000);
    const expected = nodeMd5(data);
    const random = seededRandom(3);
    for (const cut of [0, 1, 55, 56, 63, 64, 65, 127, 128, 500, 999, 1000]) {
      const first = new Md5();
      for (const chunk of randomChunks(data.subarray(0, cut), random, 90)) first.update(chunk);
      const state = first.exportState();
      const resumed = Md5.fromState(state);
      expect(resumed.exportState()).toBe(state);
      expect(resumed.digestHex()).toBe(nodeMd5(data.subarray(0, cut)));
      resumed.update(data.subarray(cut));
      expect(resumed.digestHex(), `cut at ${cut}`).toBe(expected);
    }
  });

  it('survives a chain of exports, one per part', () => {
    const data = randomBytes(5000);
    let state = new Md5().exportState();
    for (let offset = 0; offset < data.length; offset += 777) {
      state = Md5.fromState(state)
        .update(data.subarray(offset, offset + 777))
        .exportState();
      expect(state.length).toBeLessThanOrEqual(140);
    }
    expect(Md5.fromState(state).digestHex()).toBe(nodeMd5(data));
  });

  it('encodes lengths past 2^32 bytes exactly in the state and the padding', () => {
    // No one hashes 5 TiB in a test: put a large length into a state, and build the final block it
    // must compress (pending bytes, 0x80, zeros, bit length as 64-bit little-endian) with BigInt.
    const pending = Buffer.from('abc');
    const state = new Md5().update(pending).exportState();
    const words = state.split('.')[1];
    for (const length of [2 ** 29 * 64 + 3, 2 ** 32 + 3, 5 * 1024 ** 4 + 3, 2 ** 50 + 3]) {
      const resumed = Md5.fromState(state.replace('.3.', `.${length}.`));
      expect(resumed.exportState()).toBe(state.replace('.3.', `.${length}.`));
      const block = Buffer.alloc(64);
      pending.copy(block);
      block[pending.length] = 0x80;
      block.writeBigUInt64LE(BigInt(length) * 8n, 56);
      const compressed = Md5.fromState(`md5v1.${words}.0.`).update(block).exportState();
      expect(resumed.digestHex(), `length ${length}`).toBe(compressed.split('.')[1]);
    }
  });

  it('refuses a malformed state, naming the field', () => {
    const good = new Md5().update(Buffer.from('hello')).exportState();
    const bad: [string, string][] = [
      ['', 'state'],
      [`md5v2${good.slice(5)}`, 'state'],
      [good.replace(/\.[0-9a-f]{32}\./, '.xyz.'), 'state'],
      [good.replace('.5.', '.6.'), 'pending'],
      [good.replace('.5.', '.9999999999999999.'), 'length'],
      [`${good}=`, 'pending'],
      [`${good}.extra`, 'state'],
    ];
    for (const [state, field] of bad) {
      let caught: unknown;
      try {
        Md5.fromState(state);
      } catch (error) {
        caught = error;
      }
      expect(isFerryError(caught), state).toBe(true);
      if (isFerryError(caught)) {
        expect(caught.code).toBe('INTERNAL');
        expect(caught.details?.[0]?.field).toBe(field);
      }
    }
  });
});
