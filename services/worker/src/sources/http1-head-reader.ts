import { HttpProtocolError, MAX_HEAD_BYTES, parseResponseHead, type ResponseHead } from './http1-response.ts';

/**
 * Interim (1xx) answers one request may get before its real one. Servers send one or two (100
 * Continue, 103 Early Hints); more is a server keeping a request busy without ever answering it.
 */
export const MAX_INTERIM_RESPONSES = 16;

/** The final response head, and how many bytes at the end of the latest piece come after it. */
export interface HeadFound {
  head: ResponseHead;
  rest: number;
}

/**
 * Collects a response head as its bytes arrive. A head that comes in one read is parsed where it
 * lies; one that spans reads is copied into a buffer of the reader's own, since the blocks the socket
 * reads into go back to the memory budget and are written again while the head is still being
 * collected. The blank line is searched for only in what is new, so a head sent a byte at a time costs
 * as much as one sent at once, and the copy never grows past MAX_HEAD_BYTES and one read.
 */
export class HeadReader {
  #buffer: Buffer | null = null;
  #length = 0;
  #interim = 0;

  /** Takes the next bytes read; the final head once it is complete, else null. */
  push(piece: Buffer): HeadFound | null {
    let bytes = piece;
    let searchFrom = 0;
    if (this.#length > 0) {
      searchFrom = this.#length;
      bytes = this.#append(piece);
    }
    for (;;) {
      const head = parseResponseHead(bytes, searchFrom);
      if (!head) {
        this.#keep(bytes);
        return null;
      }
      if (head.statusCode >= 200) {
        this.#length = 0;
        this.#buffer = null;
        return { head, rest: bytes.length - head.length };
      }
      // 101 switches the connection to another protocol, which only a request asking for an upgrade
      // may get: the bytes after it are not HTTP.
      if (head.statusCode === 101) throw new HttpProtocolError('101 Switching Protocols to a plain request');
      if (++this.#interim > MAX_INTERIM_RESPONSES) {
        throw new HttpProtocolError(`more than ${MAX_INTERIM_RESPONSES} interim (1xx) responses`);
      }
      bytes = bytes.subarray(head.length);
      searchFrom = 0;
    }
  }

  #append(piece: Buffer): Buffer {
    const needed = this.#length + piece.length;
    let buffer = this.#buffer as Buffer;
    if (buffer.length < needed) {
      const grown = Buffer.allocUnsafeSlow(Math.max(needed, Math.min(2 * buffer.length, MAX_HEAD_BYTES)));
      buffer.copy(grown, 0, 0, this.#length);
      buffer = grown;
      this.#buffer = grown;
    }
    piece.copy(buffer, this.#length);
    this.#length = needed;
    return buffer.subarray(0, needed);
  }

  /** Holds the incomplete head `bytes` (a view of the latest piece, or of the reader's own buffer). */
  #keep(bytes: Buffer): void {
    if (bytes.length === 0) {
      this.#length = 0;
      return;
    }
    const buffer = this.#buffer;
    if (buffer && bytes.buffer === buffer.buffer) {
      // After interim answers: move what is left of the head to the front.
      buffer.copyWithin(
        0,
        bytes.byteOffset - buffer.byteOffset,
        bytes.byteOffset - buffer.byteOffset + bytes.length,
      );
    } else {
      // Its own memory (never Node's shared pool), so it cannot be mistaken for a piece's.
      this.#buffer = Buffer.allocUnsafeSlow(Math.max(4096, bytes.length));
      bytes.copy(this.#buffer);
    }
    this.#length = bytes.length;
  }
}
