import { createHash, type Hash } from 'node:crypto';
import { ErrorCode, FerryError } from '@ferry/shared';

/** Dropbox hashes a file in blocks of this size; see DropboxBlockHasher. */
export const DROPBOX_BLOCK_SIZE = 4 * 1024 * 1024;

const BLOCK_DIGESTS = /^(?:[0-9a-f]{64})*$/;

/**
 * The SHA-256 digests of the 4 MiB blocks of one part, as its bytes stream in. Dropbox's content_hash
 * is the SHA-256 of all block digests in order, so parts read in parallel, out of order and perhaps
 * by different workers can each hash their own blocks and be combined at the end, as long as every
 * part starts on a block boundary (part sizes are multiples of DROPBOX_BLOCK_SIZE).
 */
export class DropboxBlockHasher {
  #block: Hash = createHash('sha256');
  #blockBytes = 0;
  #digests = '';
  #finished = false;

  update(chunk: Uint8Array): this {
    if (this.#finished) throw misuse('update after finish');
    let offset = 0;
    while (offset < chunk.byteLength) {
      const take = Math.min(DROPBOX_BLOCK_SIZE - this.#blockBytes, chunk.byteLength - offset);
      this.#block.update(chunk.subarray(offset, offset + take));
      this.#blockBytes += take;
      offset += take;
      if (this.#blockBytes === DROPBOX_BLOCK_SIZE) this.#endBlock();
    }
    return this;
  }

  /** The part's block digests, 64 hex digits each, in order; '' for a part of no bytes. */
  finish(): string {
    if (this.#finished) throw misuse('finish called twice');
    this.#finished = true;
    // A short block can only be the file's last: parts end on block boundaries otherwise.
    if (this.#blockBytes > 0) this.#endBlock();
    return this.#digests;
  }

  #endBlock(): void {
    this.#digests += this.#block.digest('hex');
    this.#block = createHash('sha256');
    this.#blockBytes = 0;
  }
}

function misuse(what: string): FerryError {
  return new FerryError(ErrorCode.INTERNAL, `DropboxBlockHasher: ${what}`);
}

/** The content_hash (64 hex digits) from each part's DropboxBlockHasher.finish(), in part order. */
export function combineDropboxContentHash(partBlockDigests: string[]): string {
  const hash = createHash('sha256');
  partBlockDigests.forEach((digests, index) => {
    if (typeof digests !== 'string' || !BLOCK_DIGESTS.test(digests)) {
      const field = `partBlockDigests[${index}]`;
      const message = 'expected lowercase hex, 64 digits per block';
      throw new FerryError(ErrorCode.INTERNAL, `invalid Dropbox block digests: ${field}: ${message}`, {
        details: [{ field, message }],
      });
    }
    hash.update(Buffer.from(digests, 'hex'));
  });
  return hash.digest('hex');
}

/** Dropbox's content_hash of a whole buffer. */
export function dropboxContentHash(data: Uint8Array): string {
  return combineDropboxContentHash([new DropboxBlockHasher().update(data).finish()]);
}
