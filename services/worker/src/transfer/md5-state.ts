import { ErrorCode, FerryError } from '@ferry/shared';

const BLOCK = 64;
/** The state's format tag: a checkpoint written by another version of this code must not be misread. */
const STATE_TAG = 'md5v1';
const STATE_PATTERN = /^md5v1\.([0-9a-f]{32})\.(0|[1-9][0-9]{0,15})\.([A-Za-z0-9+/]*={0,2})$/;

/**
 * MD5 (RFC 1321) whose running state can be saved as a short string and resumed in another process:
 * node:crypto's Hash cannot be serialized, and a whole-file MD5 spans parts that different workers
 * may read after a crash. `digestHex()` leaves the state untouched, so hashing can go on after it.
 */
export class Md5 {
  /** a, b, c, d as signed 32-bit integers, the form the block function computes in. */
  readonly #words = Int32Array.of(0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476);
  readonly #pending = new Uint8Array(BLOCK);
  /** Bytes hashed so far; a safe integer, since objects go up to 5 TiB. */
  #length = 0;

  update(data: Uint8Array): this {
    if (!(data instanceof Uint8Array)) throw new TypeError('Md5.update: data must be a Uint8Array');
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
      processBlocks(this.#words, new DataView(this.#pending.buffer), 0, BLOCK);
    }
    const whole = offset + Math.floor((size - offset) / BLOCK) * BLOCK;
    if (whole > offset) {
      processBlocks(this.#words, new DataView(data.buffer, data.byteOffset, size), offset, whole);
    }
    if (whole < size) this.#pending.set(data.subarray(whole), 0);
    return this;
  }

  /** The digest of everything so far, as 32 lowercase hex digits; the state is not changed. */
  digestHex(): string {
    const words = Int32Array.from(this.#words);
    const fill = this.#length % BLOCK;
    // Pending bytes, 0x80, zeros, then the bit length as a little-endian 64-bit number: one or two blocks.
    const blocks = fill < 56 ? 1 : 2;
    const tail = new Uint8Array(blocks * BLOCK);
    tail.set(this.#pending.subarray(0, fill));
    tail[fill] = 0x80;
    const view = new DataView(tail.buffer);
    // length * 8 may pass 2^53; split it so both halves are exact.
    view.setUint32(tail.length - 8, (this.#length % 2 ** 29) * 8, true);
    view.setUint32(tail.length - 4, Math.floor(this.#length / 2 ** 29), true);
    processBlocks(words, view, 0, tail.length);
    return wordsToHex(words);
  }

  /** `md5v1.<a b c d as 32 hex>.<length>.<pending bytes, base64>`: at most 140 characters. */
  exportState(): string {
    const pending = Buffer.from(this.#pending.buffer, 0, this.#length % BLOCK);
    return `${STATE_TAG}.${wordsToHex(this.#words)}.${this.#length}.${pending.toString('base64')}`;
  }

  static fromState(state: string): Md5 {
    const match = typeof state === 'string' ? STATE_PATTERN.exec(state) : null;
    if (!match) throw invalidState('state', `expected ${STATE_TAG}.<32 hex>.<length>.<base64>`);
    const [, wordsHex = '', lengthText = '', pendingBase64 = ''] = match;
    const length = Number(lengthText);
    if (!Number.isSafeInteger(length)) throw invalidState('length', `${lengthText} is not a safe integer`);
    const pending = Buffer.from(pendingBase64, 'base64');
    if (pending.length !== length % BLOCK || pending.toString('base64') !== pendingBase64) {
      throw invalidState('pending', `expected ${length % BLOCK} bytes for length ${length}`);
    }
    const md5 = new Md5();
    const words = Buffer.from(wordsHex, 'hex');
    for (let i = 0; i < 4; i++) md5.#words[i] = words.readInt32LE(i * 4);
    md5.#pending.set(pending);
    md5.#length = length;
    return md5;
  }
}

/** The words as little-endian bytes in hex: the digest's form, whatever the platform's byte order. */
function wordsToHex(words: Int32Array): string {
  const bytes = Buffer.alloc(16);
  for (let i = 0; i < 4; i++) bytes.writeInt32LE(words[i] as number, i * 4);
  return bytes.toString('hex');
}

function invalidState(field: string, reason: string): FerryError {
  return new FerryError(ErrorCode.INTERNAL, `invalid MD5 state: ${field}: ${reason}`, {
    details: [{ field, message: reason }],
  });
}

/**
 * Compresses the 64-byte blocks of view[offset, end) into words. The 64 steps are written out by
 * hand: as calls to four step functions they overran V8's inlining budget and ran 5x slower. Message
 * words and chaining values live in locals, so the loop allocates nothing, and `| 0` keeps every
 * value a 32-bit integer.
 */
function processBlocks(words: Int32Array, view: DataView, offset: number, end: number): void {
  let a = words[0] as number;
  let b = words[1] as number;
  let c = words[2] as number;
  let d = words[3] as number;
  for (let o = offset; o < end; o += BLOCK) {
    const x0 = view.getInt32(o, true);
    const x1 = view.getInt32(o + 4, true);
    const x2 = view.getInt32(o + 8, true);
    const x3 = view.getInt32(o + 12, true);
    const x4 = view.getInt32(o + 16, true);
    const x5 = view.getInt32(o + 20, true);
    const x6 = view.getInt32(o + 24, true);
    const x7 = view.getInt32(o + 28, true);
    const x8 = view.getInt32(o + 32, true);
    const x9 = view.getInt32(o + 36, true);
    const x10 = view.getInt32(o + 40, true);
    const x11 = view.getInt32(o + 44, true);
    const x12 = view.getInt32(o + 48, true);
    const x13 = view.getInt32(o + 52, true);
    const x14 = view.getInt32(o + 56, true);
    const x15 = view.getInt32(o + 60, true);
    const aa = a;
    const bb = b;
    const cc = c;
    const dd = d;

    a = (a + ((b & c) | (~b & d)) + x0 - 680876936) | 0;
    a = (((a << 7) | (a >>> 25)) + b) | 0;
    d = (d + ((a & b) | (~a & c)) + x1 - 389564586) | 0;
    d = (((d << 12) | (d >>> 20)) + a) | 0;
    c = (c + ((d & a) | (~d & b)) + x2 + 606105819) | 0;
    c = (((c << 17) | (c >>> 15)) + d) | 0;
    b = (b + ((c & d) | (~c & a)) + x3 - 1044525330) | 0;
    b = (((b << 22) | (b >>> 10)) + c) | 0;
    a = (a + ((b & c) | (~b & d)) + x4 - 176418897) | 0;
    a = (((a << 7) | (a >>> 25)) + b) | 0;
    d = (d + ((a & b) | (~a & c)) + x5 + 1200080426) | 0;
    d = (((d << 12) | (d >>> 20)) + a) | 0;
    c = (c + ((d & a) | (~d & b)) + x6 - 1473231341) | 0;
    c = (((c << 17) | (c >>> 15)) + d) | 0;
    b = (b + ((c & d) | (~c & a)) + x7 - 45705983) | 0;
    b = (((b << 22) | (b >>> 10)) + c) | 0;
    a = (a + ((b & c) | (~b & d)) + x8 + 1770035416) | 0;
    a = (((a << 7) | (a >>> 25)) + b) | 0;
    d = (d + ((a & b) | (~a & c)) + x9 - 1958414417) | 0;
    d = (((d << 12) | (d >>> 20)) + a) | 0;
    c = (c + ((d & a) | (~d & b)) + x10 - 42063) | 0;
    c = (((c << 17) | (c >>> 15)) + d) | 0;
    b = (b + ((c & d) | (~c & a)) + x11 - 1990404162) | 0;
    b = (((b << 22) | (b >>> 10)) + c) | 0;
    a = (a + ((b & c) | (~b & d)) + x12 + 1804603682) | 0;
    a = (((a << 7) | (a >>> 25)) + b) | 0;
    d = (d + ((a & b) | (~a & c)) + x13 - 40341101) | 0;
    d = (((d << 12) | (d >>> 20)) + a) | 0;
    c = (c + ((d & a) | (~d & b)) + x14 - 1502002290) | 0;
    c = (((c << 17) | (c >>> 15)) + d) | 0;
    b = (b + ((c & d) | (~c & a)) + x15 + 1236535329) | 0;
    b = (((b << 22) | (b >>> 10)) + c) | 0;

    a = (a + ((b & d) | (c & ~d)) + x1 - 165796510) | 0;
    a = (((a << 5) | (a >>> 27)) + b) | 0;
    d = (d + ((a & c) | (b & ~c)) + x6 - 1069501632) | 0;
    d = (((d << 9) | (d >>> 23)) + a) | 0;
    c = (c + ((d & b) | (a & ~b)) + x11 + 643717713) | 0;
    c = (((c << 14) | (c >>> 18)) + d) | 0;
    b = (b + ((c & a) | (d & ~a)) + x0 - 373897302) | 0;
    b = (((b << 20) | (b >>> 12)) + c) | 0;
    a = (a + ((b & d) | (c & ~d)) + x5 - 701558691) | 0;
    a = (((a << 5) | (a >>> 27)) + b) | 0;
    d = (d + ((a & c) | (b & ~c)) + x10 + 38016083) | 0;
    d = (((d << 9) | (d >>> 23)) + a) | 0;
    c = (c + ((d & b) | (a & ~b)) + x15 - 660478335) | 0;
    c = (((c << 14) | (c >>> 18)) + d) | 0;
    b = (b + ((c & a) | (d & ~a)) + x4 - 405537848) | 0;
    b = (((b << 20) | (b >>> 12)) + c) | 0;
    a = (a + ((b & d) | (c & ~d)) + x9 + 568446438) | 0;
    a = (((a << 5) | (a >>> 27)) + b) | 0;
    d = (d + ((a & c) | (b & ~c)) + x14 - 1019803690) | 0;
    d = (((d << 9) | (d >>> 23)) + a) | 0;
    c = (c + ((d & b) | (a & ~b)) + x3 - 187363961) | 0;
    c = (((c << 14) | (c >>> 18)) + d) | 0;
    b = (b + ((c & a) | (d & ~a)) + x8 + 1163531501) | 0;
    b = (((b << 20) | (b >>> 12)) + c) | 0;
    a = (a + ((b & d) | (c & ~d)) + x13 - 1444681467) | 0;
    a = (((a << 5) | (a >>> 27)) + b) | 0;
    d = (d + ((a & c) | (b & ~c)) + x2 - 51403784) | 0;
    d = (((d << 9) | (d >>> 23)) + a) | 0;
    c = (c + ((d & b) | (a & ~b)) + x7 + 1735328473) | 0;
    c = (((c << 14) | (c >>> 18)) + d) | 0;
    b = (b + ((c & a) | (d & ~a)) + x12 - 1926607734) | 0;
    b = (((b << 20) | (b >>> 12)) + c) | 0;

    a = (a + (b ^ c ^ d) + x5 - 378558) | 0;
    a = (((a << 4) | (a >>> 28)) + b) | 0;
    d = (d + (a ^ b ^ c) + x8 - 2022574463) | 0;
    d = (((d << 11) | (d >>> 21)) + a) | 0;
    c = (c + (d ^ a ^ b) + x11 + 1839030562) | 0;
    c = (((c << 16) | (c >>> 16)) + d) | 0;
    b = (b + (c ^ d ^ a) + x14 - 35309556) | 0;
    b = (((b << 23) | (b >>> 9)) + c) | 0;
    a = (a + (b ^ c ^ d) + x1 - 1530992060) | 0;
    a = (((a << 4) | (a >>> 28)) + b) | 0;
    d = (d + (a ^ b ^ c) + x4 + 1272893353) | 0;
    d = (((d << 11) | (d >>> 21)) + a) | 0;
    c = (c + (d ^ a ^ b) + x7 - 155497632) | 0;
    c = (((c << 16) | (c >>> 16)) + d) | 0;
    b = (b + (c ^ d ^ a) + x10 - 1094730640) | 0;
    b = (((b << 23) | (b >>> 9)) + c) | 0;
    a = (a + (b ^ c ^ d) + x13 + 681279174) | 0;
    a = (((a << 4) | (a >>> 28)) + b) | 0;
    d = (d + (a ^ b ^ c) + x0 - 358537222) | 0;
    d = (((d << 11) | (d >>> 21)) + a) | 0;
    c = (c + (d ^ a ^ b) + x3 - 722521979) | 0;
    c = (((c << 16) | (c >>> 16)) + d) | 0;
    b = (b + (c ^ d ^ a) + x6 + 76029189) | 0;
    b = (((b << 23) | (b >>> 9)) + c) | 0;
    a = (a + (b ^ c ^ d) + x9 - 640364487) | 0;
    a = (((a << 4) | (a >>> 28)) + b) | 0;
    d = (d + (a ^ b ^ c) + x12 - 421815835) | 0;
    d = (((d << 11) | (d >>> 21)) + a) | 0;
    c = (c + (d ^ a ^ b) + x15 + 530742520) | 0;
    c = (((c << 16) | (c >>> 16)) + d) | 0;
    b = (b + (c ^ d ^ a) + x2 - 995338651) | 0;
    b = (((b << 23) | (b >>> 9)) + c) | 0;

    a = (a + (c ^ (b | ~d)) + x0 - 198630844) | 0;
    a = (((a << 6) | (a >>> 26)) + b) | 0;
    d = (d + (b ^ (a | ~c)) + x7 + 1126891415) | 0;
    d = (((d << 10) | (d >>> 22)) + a) | 0;
    c = (c + (a ^ (d | ~b)) + x14 - 1416354905) | 0;
    c = (((c << 15) | (c >>> 17)) + d) | 0;
    b = (b + (d ^ (c | ~a)) + x5 - 57434055) | 0;
    b = (((b << 21) | (b >>> 11)) + c) | 0;
    a = (a + (c ^ (b | ~d)) + x12 + 1700485571) | 0;
    a = (((a << 6) | (a >>> 26)) + b) | 0;
    d = (d + (b ^ (a | ~c)) + x3 - 1894986606) | 0;
    d = (((d << 10) | (d >>> 22)) + a) | 0;
    c = (c + (a ^ (d | ~b)) + x10 - 1051523) | 0;
    c = (((c << 15) | (c >>> 17)) + d) | 0;
    b = (b + (d ^ (c | ~a)) + x1 - 2054922799) | 0;
    b = (((b << 21) | (b >>> 11)) + c) | 0;
    a = (a + (c ^ (b | ~d)) + x8 + 1873313359) | 0;
    a = (((a << 6) | (a >>> 26)) + b) | 0;
    d = (d + (b ^ (a | ~c)) + x15 - 30611744) | 0;
    d = (((d << 10) | (d >>> 22)) + a) | 0;
    c = (c + (a ^ (d | ~b)) + x6 - 1560198380) | 0;
    c = (((c << 15) | (c >>> 17)) + d) | 0;
    b = (b + (d ^ (c | ~a)) + x13 + 1309151649) | 0;
    b = (((b << 21) | (b >>> 11)) + c) | 0;
    a = (a + (c ^ (b | ~d)) + x4 - 145523070) | 0;
    a = (((a << 6) | (a >>> 26)) + b) | 0;
    d = (d + (b ^ (a | ~c)) + x11 - 1120210379) | 0;
    d = (((d << 10) | (d >>> 22)) + a) | 0;
    c = (c + (a ^ (d | ~b)) + x2 + 718787259) | 0;
    c = (((c << 15) | (c >>> 17)) + d) | 0;
    b = (b + (d ^ (c | ~a)) + x9 - 343485551) | 0;
    b = (((b << 21) | (b >>> 11)) + c) | 0;

    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  words[0] = a;
  words[1] = b;
  words[2] = c;
  words[3] = d;
}
