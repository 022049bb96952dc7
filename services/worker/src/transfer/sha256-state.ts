import { ErrorCode, FerryError } from '@ferry/shared';

const BLOCK = 64;
/** The state's format tag: a checkpoint written by another version of this code must not be misread. */
const STATE_TAG = 'sha256v1';
const STATE_PATTERN = /^sha256v1\.([0-9a-f]{64})\.(0|[1-9][0-9]{0,15})\.([A-Za-z0-9+/]*={0,2})$/;
const INITIAL = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];
// biome-ignore format: the 64 round constants of FIPS 180-4, eight to a line
const K = Int32Array.of(
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
);

/**
 * SHA-256 (FIPS 180-4) whose running state can be saved as a short string and resumed in another
 * process, as Md5 does for MD5: node:crypto's Hash cannot be serialized, and an expected SHA-256 of
 * a file spans parts that different workers may read after a crash. `digestHex()` leaves the state
 * untouched.
 */
export class Sha256 {
  readonly #words = Int32Array.from(INITIAL);
  readonly #pending = new Uint8Array(BLOCK);
  /** The message schedule, reused by every block. */
  readonly #schedule = new Int32Array(64);
  /** Bytes hashed so far; a safe integer, since objects go up to 5 TiB. */
  #length = 0;

  update(data: Uint8Array): this {
    const size = data.byteLength;
    if (size === 0) return this;
    let offset = 0;
    let fill = this.#length % BLOCK;
    this.#length += size;
    if (fill > 0) {
      const take = Math.min(BLOCK - fill, size);
      this.#pending.set(data.subarray(0, take), fill);
      offset = take;
      fill += take;
      if (fill < BLOCK) return this;
      processBlocks(this.#words, this.#schedule, new DataView(this.#pending.buffer), 0, BLOCK);
    }
    const whole = offset + Math.floor((size - offset) / BLOCK) * BLOCK;
    if (whole > offset) {
      processBlocks(
        this.#words,
        this.#schedule,
        new DataView(data.buffer, data.byteOffset, size),
        offset,
        whole,
      );
    }
    if (whole < size) this.#pending.set(data.subarray(whole), 0);
    return this;
  }

  /** The digest of everything so far, as 64 lowercase hex digits; the state is not changed. */
  digestHex(): string {
    const words = Int32Array.from(this.#words);
    const fill = this.#length % BLOCK;
    // Pending bytes, 0x80, zeros, then the bit length as a big-endian 64-bit number.
    const blocks = fill < 56 ? 1 : 2;
    const tail = new Uint8Array(blocks * BLOCK);
    tail.set(this.#pending.subarray(0, fill));
    tail[fill] = 0x80;
    const view = new DataView(tail.buffer);
    // length * 8 may pass 2^53; split it so both halves are exact.
    view.setUint32(tail.length - 8, Math.floor(this.#length / 2 ** 29), false);
    view.setUint32(tail.length - 4, (this.#length % 2 ** 29) * 8, false);
    processBlocks(words, new Int32Array(64), view, 0, tail.length);
    return wordsToHex(words);
  }

  /** `sha256v1.<the 8 words as 64 hex>.<length>.<pending bytes, base64>`: at most 170 characters. */
  exportState(): string {
    const pending = Buffer.from(this.#pending.buffer, 0, this.#length % BLOCK);
    return `${STATE_TAG}.${wordsToHex(this.#words)}.${this.#length}.${pending.toString('base64')}`;
  }

  static fromState(state: string): Sha256 {
    const match = typeof state === 'string' ? STATE_PATTERN.exec(state) : null;
    if (!match) throw invalidState('state', `expected ${STATE_TAG}.<64 hex>.<length>.<base64>`);
    const [, wordsHex = '', lengthText = '', pendingBase64 = ''] = match;
    const length = Number(lengthText);
    if (!Number.isSafeInteger(length)) throw invalidState('length', `${lengthText} is not a safe integer`);
    const pending = Buffer.from(pendingBase64, 'base64');
    if (pending.length !== length % BLOCK || pending.toString('base64') !== pendingBase64) {
      throw invalidState('pending', `expected ${length % BLOCK} bytes for length ${length}`);
    }
    const sha = new Sha256();
    const words = Buffer.from(wordsHex, 'hex');
    for (let i = 0; i < 8; i++) sha.#words[i] = words.readInt32BE(i * 4);
    sha.#pending.set(pending);
    sha.#length = length;
    return sha;
  }
}

function wordsToHex(words: Int32Array): string {
  const bytes = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) bytes.writeInt32BE(words[i] as number, i * 4);
  return bytes.toString('hex');
}

function invalidState(field: string, reason: string): FerryError {
  return new FerryError(ErrorCode.INTERNAL, `invalid SHA-256 state: ${field}: ${reason}`, {
    details: [{ field, message: reason }],
  });
}

/** Compresses the 64-byte blocks of view[offset, end) into words; `| 0` keeps values 32-bit. */
function processBlocks(words: Int32Array, w: Int32Array, view: DataView, offset: number, end: number): void {
  let h0 = words[0] as number;
  let h1 = words[1] as number;
  let h2 = words[2] as number;
  let h3 = words[3] as number;
  let h4 = words[4] as number;
  let h5 = words[5] as number;
  let h6 = words[6] as number;
  let h7 = words[7] as number;
  for (let o = offset; o < end; o += BLOCK) {
    for (let t = 0; t < 16; t++) w[t] = view.getInt32(o + t * 4, false);
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15] as number;
      const y = w[t - 2] as number;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[t] = ((w[t - 16] as number) + s0 + (w[t - 7] as number) + s1) | 0;
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    let f = h5;
    let g = h6;
    let h = h7;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + (K[t] as number) + (w[t] as number)) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + h) | 0;
  }
  words.set([h0, h1, h2, h3, h4, h5, h6, h7]);
}
