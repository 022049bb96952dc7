import { ErrorCode, FerryError } from '@ferry/shared';
import { crc32c, crc32cCombine } from './crc32c.ts';
import { combineDropboxContentHash, DROPBOX_BLOCK_SIZE, DropboxBlockHasher } from './dropbox-content-hash.ts';
import { Md5 } from './md5-state.ts';
import { Sha256 } from './sha256-state.ts';

export type DigestAlgorithm = 'dropbox-content-hash' | 'md5' | 'sha256' | 'crc32c';

/** A digest of the whole file, as a provider's metadata states it (lower-case hex). */
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

const sha256: DigestScheme = {
  alignment: 1,
  sequential: true,
  partHasher: (previous) => {
    const hash = previous === null ? new Sha256() : Sha256.fromState(previous);
    return { update: (chunk) => void hash.update(chunk), finish: () => hash.exportState() };
  },
  combine: (states) => {
    const last = states.at(-1);
    return (last === undefined ? new Sha256() : Sha256.fromState(last)).digestHex();
  },
};

const CRC32C_STATE = /^([0-9a-f]{8})\.(0|[1-9][0-9]{0,15})$/;

/** CRC-32C combines like CRC-32: each part keeps its own CRC and length (`<8 hex>.<length>`). */
const crc32cScheme: DigestScheme = {
  alignment: 1,
  sequential: false,
  partHasher: () => {
    let crc = 0;
    let length = 0;
    return {
      update: (chunk) => {
        crc = crc32c(chunk, crc);
        length += chunk.byteLength;
      },
      finish: () => `${crc.toString(16).padStart(8, '0')}.${length}`,
    };
  },
  combine: (states) => {
    let crc = 0;
    for (const state of states) {
      const match = CRC32C_STATE.exec(state);
      if (!match)
        throw new FerryError(ErrorCode.INTERNAL, 'invalid CRC-32C state: expected <8 hex>.<length>');
      crc = crc32cCombine(crc, Number.parseInt(match[1] as string, 16), Number(match[2]));
    }
    return crc.toString(16).padStart(8, '0');
  },
};

const SCHEMES: Record<DigestAlgorithm, DigestScheme> = {
  'dropbox-content-hash': dropboxContentHash,
  md5,
  sha256,
  crc32c: crc32cScheme,
};

export function digestScheme(algorithm: DigestAlgorithm): DigestScheme {
  return SCHEMES[algorithm];
}

/** `md5:<hex>`, as results and object metadata show a digest. */
export function formatDigest(digest: StatedDigest): string {
  return `${digest.algorithm}:${digest.value}`;
}
