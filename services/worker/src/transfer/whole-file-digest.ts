import { combineDropboxContentHash, DROPBOX_BLOCK_SIZE, DropboxBlockHasher } from './dropbox-content-hash.ts';
import { Md5 } from './md5-state.ts';

export type DigestAlgorithm = 'dropbox-content-hash' | 'md5';

/** A provider's digest of the whole file, as its metadata states it (lower-case hex). */
export interface StatedDigest {
  algorithm: DigestAlgorithm;
  value: string;
}

/** Hashes one part's bytes as they stream; `finish` gives the state the checkpoint keeps for it. */
export interface PartHasher {
  update(chunk: Uint8Array): void;
  finish(): string;
}

/**
 * How a whole-file digest is computed from parts that are read separately, possibly by different
 * workers after a crash: each finished part leaves a short state in the checkpoint, and the file's
 * digest is combined from those states without reading anything again.
 */
export interface DigestScheme {
  /** Parts must begin at multiples of this many bytes. */
  alignment: number;
  /**
   * Each part's hash continues from the previous part's state (MD5 is one chain over the file), so
   * parts are read one at a time, in order; otherwise parts hash independently and in parallel.
   */
  sequential: boolean;
  /** A hasher for the next part; `previous` is the state the part before it finished with. */
  partHasher(previous: string | null): PartHasher;
  /** The file's digest from the parts' states, in part order (none for an empty file). */
  combine(states: string[]): string;
}

const dropboxContentHash: DigestScheme = {
  // Dropbox hashes 4 MiB blocks; parts made of whole blocks hash on their own.
  alignment: DROPBOX_BLOCK_SIZE,
  sequential: false,
  partHasher: () => {
    const hasher = new DropboxBlockHasher();
    return { update: (chunk) => hasher.update(chunk), finish: () => hasher.finish() };
  },
  combine: combineDropboxContentHash,
};

const md5: DigestScheme = {
  alignment: 1,
  sequential: true,
  partHasher: (previous) => {
    const hash = previous === null ? new Md5() : Md5.fromState(previous);
    return { update: (chunk) => void hash.update(chunk), finish: () => hash.exportState() };
  },
  combine: (states) => {
    const last = states.at(-1);
    return (last === undefined ? new Md5() : Md5.fromState(last)).digestHex();
  },
};

const SCHEMES: Record<DigestAlgorithm, DigestScheme> = {
  'dropbox-content-hash': dropboxContentHash,
  md5,
};

export function digestScheme(algorithm: DigestAlgorithm): DigestScheme {
  return SCHEMES[algorithm];
}

/** `md5:<hex>`, as results and object metadata show a digest. */
export function formatDigest(digest: StatedDigest): string {
  return `${digest.algorithm}:${digest.value}`;
}
