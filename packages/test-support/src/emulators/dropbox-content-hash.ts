import { createHash, type Hash } from 'node:crypto';

const BLOCK_SIZE = 4 * 1024 * 1024;

/**
 * Dropbox's content_hash: SHA-256 over the concatenated SHA-256 digests of each 4 MiB block, so any
 * chunking of the input gives the same answer.
 */
export class DropboxContentHasher {
  #overall: Hash = createHash('sha256');
  #block: Hash = createHash('sha256');
  #inBlock = 0;

  update(data: Uint8Array): void {
    let offset = 0;
    while (offset < data.length) {
      const take = Math.min(BLOCK_SIZE - this.#inBlock, data.length - offset);
      this.#block.update(data.subarray(offset, offset + take));
      this.#inBlock += take;
      offset += take;
      if (this.#inBlock === BLOCK_SIZE) this.#closeBlock();
    }
  }

  digest(): string {
    if (this.#inBlock > 0) this.#closeBlock();
    return this.#overall.digest('hex');
  }

  #closeBlock(): void {
    this.#overall.update(this.#block.digest());
    this.#block = createHash('sha256');
    this.#inBlock = 0;
  }
}
