import { createHash, type Hash } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { PartStream } from '../bytes/part-stream.ts';
import type { ChunkSigner } from './chunk-signer.ts';
import { crc32Base64 } from './crc32-base64.ts';
import { partTooLong, partTooShort } from './part-length.ts';

/** Payload bytes per aws-chunked chunk; S3 wants at least 8 KiB in every chunk but the last. */
export const AWS_CHUNK_SIZE = 256 * 1024;
const TRAILER_NAME = 'x-amz-checksum-crc32';
const CRLF = Buffer.from('\r\n');

/**
 * How a part's bytes go on the wire: `aws-chunked` with a CRC-32 trailer (what S3 calls
 * STREAMING-UNSIGNED-PAYLOAD-TRAILER), `aws-chunked-signed` with a SigV4 signature in every chunk's
 * header (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), or `identity`, the bytes as they are.
 */
export type Framing = 'aws-chunked' | 'aws-chunked-signed' | 'identity';

/**
 * Payload bytes per signed chunk. A chunk is held until its signature is known (a budget block's
 * worth, within a streamed part's window); each costs an HMAC, a digest and a few writes.
 */
export const SIGNED_CHUNK_SIZE = 256 * 1024;
const SIGNATURE_HEADER = ';chunk-signature=';

/** Bytes on the wire for `length` payload bytes framed in `chunkSize` chunks with the CRC-32 trailer. */
export function awsChunkedLength(length: number, chunkSize = AWS_CHUNK_SIZE): number {
  const full = Math.floor(length / chunkSize);
  const rest = length % chunkSize;
  let total = full * (chunkSize.toString(16).length + 2 + chunkSize + 2);
  if (rest > 0) total += rest.toString(16).length + 2 + rest + 2;
  // `0\r\n`, `x-amz-checksum-crc32:<8 base64 chars>\r\n`, `\r\n`.
  return total + 3 + TRAILER_NAME.length + 1 + 8 + 2 + 2;
}

/** Bytes on the wire for `length` payload bytes in signed chunks of `chunkSize`. */
export function signedChunkedLength(length: number, chunkSize = SIGNED_CHUNK_SIZE): number {
  const framed = (size: number) => size.toString(16).length + SIGNATURE_HEADER.length + 64 + 2 + size + 2;
  const full = Math.floor(length / chunkSize);
  const rest = length % chunkSize;
  return full * framed(chunkSize) + (rest > 0 ? framed(rest) : 0) + (1 + SIGNATURE_HEADER.length + 64 + 4);
}

export interface PartBodyOptions {
  framing: Framing;
  /** Compute the CRC-32 of the bytes as they pass (default true). */
  crc32?: boolean;
  /** Compute their MD5 as they pass, for an ETag or Content-MD5 to be checked against. */
  md5?: boolean;
  onBytes?: (count: number) => void;
  /** Sees every byte of the part, in order (a whole-file digest's hasher). */
  onChunk?: (chunk: Buffer) => void;
  chunkSize?: number;
}

/**
 * A part's body for UploadPart: the checksums are computed in the one pass that moves the bytes, so
 * the worker never holds the part. Framed as aws-chunked, the CRC-32 goes after the bytes as a
 * trailer and S3 verifies the part on arrival; chunks have a fixed size, so the encoded length is
 * known up front and the request carries a Content-Length (no HTTP chunking on top).
 *
 * The SDK's HTTP handler pipes its body into the request; this class takes that pipe() call and
 * writes the source's pieces straight into the request, each with a write callback that releases
 * the piece's buffer once the kernel has it, and pauses the source while the request is backed up.
 * Nothing is buffered here and nothing is copied. It is never read as an ordinary Readable.
 *
 * The body fails (and destroys the request, so the SDK call fails) when the source fails or sends
 * more or fewer bytes than the part has: a retried part, never a silently truncated one.
 */
export class PartBody extends Readable {
  readonly decodedLength: number;
  readonly encodedLength: number;
  readonly framing: Framing;
  /** Payload bytes written so far, and their CRC-32. */
  bytes = 0;
  crc = 0;
  /** Why the body failed (the source's error, or a wrong length); null while it has not. */
  failure: Error | null = null;
  readonly #sourceEnded: Promise<void>;
  #settleSource!: (error: Error | null) => void;
  readonly #source: PartStream;
  readonly #chunkSize: number;
  readonly #fullHeader: Buffer;
  readonly #computeCrc: boolean;
  readonly #md5: Hash | null;
  readonly #onBytes: (count: number) => void;
  readonly #onChunk: ((chunk: Buffer) => void) | null;
  #dest: Writable | null = null;
  #signer: ChunkSigner | null = null;
  /** Signed framing: the current chunk's pieces, held until its signature is known, and their hash. */
  #held: { slice: Buffer; release: (() => void) | null }[] = [];
  #heldBytes = 0;
  #heldHash: Hash | null = null;
  #chunkLeft = 0;
  #waitingForDrain = false;
  #finished = false;

  constructor(source: PartStream, length: number, options: PartBodyOptions) {
    super();
    this.#source = source;
    this.framing = options.framing;
    this.decodedLength = length;
    this.#chunkSize =
      options.chunkSize ?? (options.framing === 'aws-chunked-signed' ? SIGNED_CHUNK_SIZE : AWS_CHUNK_SIZE);
    this.encodedLength =
      options.framing === 'aws-chunked'
        ? awsChunkedLength(length, this.#chunkSize)
        : options.framing === 'aws-chunked-signed'
          ? signedChunkedLength(length, this.#chunkSize)
          : length;
    this.#fullHeader = Buffer.from(`${this.#chunkSize.toString(16)}\r\n`);
    this.#computeCrc = options.crc32 ?? true;
    this.#md5 = options.md5 ? createHash('md5') : null;
    this.#onBytes = options.onBytes ?? (() => {});
    this.#onChunk = options.onChunk ?? null;
    this.#sourceEnded = new Promise<void>((resolve, reject) => {
      this.#settleSource = (error) => (error ? reject(error) : resolve());
    });
    // Awaited only once S3 has answered; a body that fails before that is reported through `failure`.
    this.#sourceEnded.catch(() => {});
  }

  /** The MD5 of the bytes sent, in hex; only with `md5`, once the body has ended. */
  md5Hex(): string {
    if (!this.#md5) throw new Error('this part body computes no MD5');
    return this.#md5.digest('hex');
  }

  /**
   * Settles when the source's answer has ended whole (resolves) or failed (rejects). S3 may answer
   * once it has the Content-Length's bytes, before the source's response is over; but an answer cut
   * off after its last payload byte (a chunked body without its last chunk, a reset) is incomplete
   * (RFC 9112 §8), and the part counts only once the source has said it is whole. The source is let
   * go on reading even if the request was backed up at its last bytes: S3 has them all, and the
   * source's own timeouts bound the wait.
   */
  sourceEnded(): Promise<void> {
    if (this.#waitingForDrain && !this.#finished) {
      this.#waitingForDrain = false;
      this.#source.resume();
    }
    return this.#sourceEnded;
  }

  /** Signed framing: how chunks are signed, known once the request itself is signed (before pipe). */
  useSigner(signer: ChunkSigner): void {
    this.#signer = signer;
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T): T {
    if (this.#dest) throw new Error('a part body is sent once');
    if (this.framing === 'aws-chunked-signed' && !this.#signer)
      throw new Error('a signed body needs its signer');
    const dest = destination as unknown as Writable;
    this.#dest = dest;
    if (this.#finished) return destination;
    dest.on('drain', this.#onDrain);
    this.#source.start({
      piece: (chunk, release) => this.#piece(chunk, release),
      end: () => this.#end(),
      error: (error) => this.#fail(error),
    });
    return destination;
  }

  override _read(): void {
    this.destroy(new Error('a part body is only ever piped'));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#finished = true;
    this.#source.destroy();
    this.#dest?.off('drain', this.#onDrain);
    this.#releaseHeld();
    this.#settleSource(error ?? new Error('part body destroyed before the source ended'));
    callback(error);
  }

  #piece(chunk: Buffer, release: () => void): void {
    const dest = this.#dest;
    if (this.#finished || !dest) {
      release();
      return;
    }
    const size = chunk.length;
    if (this.bytes + size > this.decodedLength) {
      release();
      this.#fail(partTooLong(this.decodedLength));
      return;
    }
    const written = this.bytes;
    this.bytes += size;
    if (this.#computeCrc) this.crc = crc32(chunk, this.crc);
    this.#md5?.update(chunk);
    this.#onChunk?.(chunk);
    this.#onBytes(size);
    const ok =
      this.framing === 'aws-chunked'
        ? this.#writeChunked(dest, chunk, written, release)
        : this.framing === 'aws-chunked-signed'
          ? this.#holdSigned(dest, chunk, release)
          : dest.write(chunk, release);
    if (!ok && !this.#waitingForDrain) {
      this.#waitingForDrain = true;
      this.#source.pause();
    }
  }

  /** Writes `chunk` (payload bytes from offset `written` on) in aws-chunked framing; false when backed up. */
  #writeChunked(dest: Writable, chunk: Buffer, written: number, release: () => void): boolean {
    const size = chunk.length;
    let ok = true;
    for (let offset = 0; offset < size; ) {
      if (this.#chunkLeft === 0) {
        this.#chunkLeft = Math.min(this.#chunkSize, this.decodedLength - written);
        ok = dest.write(
          this.#chunkLeft === this.#chunkSize
            ? this.#fullHeader
            : Buffer.from(`${this.#chunkLeft.toString(16)}\r\n`),
        );
      }
      const take = Math.min(this.#chunkLeft, size - offset);
      const last = offset + take === size;
      const slice = take === size ? chunk : chunk.subarray(offset, offset + take);
      // Write callbacks run in order: the last one means the whole piece is out of our hands.
      ok = last ? dest.write(slice, release) : dest.write(slice);
      offset += take;
      written += take;
      this.#chunkLeft -= take;
      if (this.#chunkLeft === 0) ok = dest.write(CRLF);
    }
    return ok;
  }

  /**
   * Signed framing: the piece joins the chunk being filled; a full chunk goes out, its header (with
   * the signature of its bytes) first. False when the request is backed up.
   */
  #holdSigned(dest: Writable, chunk: Buffer, release: () => void): boolean {
    let ok = true;
    for (let offset = 0; offset < chunk.length; ) {
      const take = Math.min(this.#chunkSize - this.#heldBytes, chunk.length - offset);
      const slice = take === chunk.length ? chunk : chunk.subarray(offset, offset + take);
      offset += take;
      // Write callbacks run in order: the one of the piece's last slice means it is all sent.
      this.#held.push({ slice, release: offset === chunk.length ? release : null });
      this.#heldHash ??= createHash('sha256');
      this.#heldHash.update(slice);
      this.#heldBytes += take;
      if (this.#heldBytes === this.#chunkSize) ok = this.#sendHeldChunk(dest);
    }
    return ok;
  }

  /** Pieces of a chunk that will never be sent (the request is gone): their buffers go back. */
  #releaseHeld(): void {
    for (const { release } of this.#held.splice(0)) release?.();
  }

  #sendHeldChunk(dest: Writable): boolean {
    const signer = this.#signer as ChunkSigner;
    const signature = signer.sign((this.#heldHash as Hash).digest('hex'));
    let ok = dest.write(`${this.#heldBytes.toString(16)}${SIGNATURE_HEADER}${signature}\r\n`);
    for (const { slice, release } of this.#held)
      ok = release ? dest.write(slice, release) : dest.write(slice);
    ok = dest.write(CRLF);
    this.#held = [];
    this.#heldBytes = 0;
    this.#heldHash = null;
    return ok;
  }

  readonly #onDrain = (): void => {
    if (!this.#waitingForDrain || this.#finished) return;
    this.#waitingForDrain = false;
    this.#source.resume();
  };

  #end(): void {
    const dest = this.#dest;
    if (this.#finished || !dest) return;
    if (this.bytes !== this.decodedLength) {
      this.#fail(partTooShort(this.bytes, this.decodedLength));
      return;
    }
    this.#finished = true;
    this.#settleSource(null);
    dest.off('drain', this.#onDrain);
    if (this.framing === 'aws-chunked') {
      dest.end(`0\r\n${TRAILER_NAME}:${crc32Base64(this.crc)}\r\n\r\n`);
    } else if (this.framing === 'aws-chunked-signed') {
      if (this.#heldBytes > 0) this.#sendHeldChunk(dest);
      dest.end(`0${SIGNATURE_HEADER}${(this.#signer as ChunkSigner).sign()}\r\n\r\n`);
    } else {
      dest.end();
    }
  }

  #fail(error: Error): void {
    if (this.#finished) return;
    this.#finished = true;
    this.failure = error;
    this.#settleSource(error);
    this.#source.destroy();
    this.#dest?.off('drain', this.#onDrain);
    // The SDK's request fails with this error; the caller reports `failure` rather than that.
    this.#dest?.destroy(error);
    this.#releaseHeld();
  }
}
