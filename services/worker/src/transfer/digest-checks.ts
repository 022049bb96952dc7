import {
  ErrorCode,
  EXPECTED_DIGESTS,
  type ExpectedChecksums,
  type ExpectedDigestName,
  expectedDigestHex,
} from '@ferry/shared';
import { permanentError, type TransferError } from '../errors/transfer-error.ts';
import { type DigestScheme, digestScheme, type StatedDigest } from './whole-file-digest.ts';

/** The digest states a finished part leaves in the checkpoint, one per check. */
export interface PartDigests {
  /** The state of the source's own digest (Dropbox content_hash, Drive MD5). */
  digest?: string;
  /** The states of the request's `expected` digests. */
  expectedDigests?: Partial<Record<ExpectedDigestName, string>>;
}

/** Hashes one part's bytes for every check as they stream; `finish` gives the states to keep. */
export interface PartDigestHasher {
  update(chunk: Uint8Array): void;
  finish(): PartDigests;
}

interface Check {
  /** Where its state lives: the source's digest, or one of the expected ones. */
  slot: 'digest' | ExpectedDigestName;
  /** Who states the digest, for the mismatch's message: `the source` or `expected.md5`. */
  statedBy: string;
  algorithm: string;
  scheme: DigestScheme;
  /** Lower-case hex. */
  wanted: string;
}

/**
 * Every whole-file digest an import must match before it completes: the source's own (see
 * SourceMetadata.digest) and those the request's `expected` states. Parts are hashed for all of them
 * in one pass; each finished part's states go into the checkpoint, so a resumed import continues
 * each digest where the last part left it. A sequential digest (MD5, SHA-256) needs the parts in
 * order, one at a time; CRC-32C and Dropbox's content hash combine from parts hashed in parallel.
 */
export class DigestChecks {
  readonly #checks: Check[];

  constructor(stated: StatedDigest | undefined, expected: ExpectedChecksums | undefined) {
    this.#checks = [];
    if (stated) {
      this.#checks.push({
        slot: 'digest',
        statedBy: 'the source',
        algorithm: stated.algorithm,
        scheme: digestScheme(stated.algorithm),
        wanted: stated.value.toLowerCase(),
      });
    }
    for (const name of EXPECTED_DIGESTS) {
      const value = expected?.[name];
      if (value === undefined) continue;
      this.#checks.push({
        slot: name,
        statedBy: `expected.${name}`,
        algorithm: name,
        scheme: digestScheme(name),
        wanted: expectedDigestHex(value),
      });
    }
  }

  /** Whether there is anything to check. */
  get any(): boolean {
    return this.#checks.length > 0;
  }

  /** Parts must begin at multiples of this (every alignment in use divides the largest). */
  get alignment(): number {
    return Math.max(1, ...this.#checks.map((check) => check.scheme.alignment));
  }

  get sequential(): boolean {
    return this.#checks.some((check) => check.scheme.sequential);
  }

  /** A hasher for the part after `previous` (the finished part before it; none for the first). */
  partHasher(previous: PartDigests | undefined): PartDigestHasher {
    const hashers = this.#checks.map((check) => ({
      slot: check.slot,
      hasher: check.scheme.partHasher(previous ? (stateOf(previous, check.slot) ?? null) : null),
    }));
    return {
      update: (chunk) => {
        for (const { hasher } of hashers) hasher.update(chunk);
      },
      finish: () => {
        const digests: PartDigests = {};
        for (const { slot, hasher } of hashers) {
          const state = hasher.finish();
          if (slot === 'digest') digests.digest = state;
          else digests.expectedDigests = { ...digests.expectedDigests, [slot]: state };
        }
        return digests;
      },
    };
  }

  /** Whether a checkpointed part holds the state of every check (parts recorded before may not). */
  covers(part: PartDigests): boolean {
    return this.#checks.every((check) => stateOf(part, check.slot) !== undefined);
  }

  /**
   * Combines every check's digest from the parts' states (in part order) and throws a permanent
   * CHECKSUM_MISMATCH for the first that is not what was stated.
   */
  verify(parts: readonly PartDigests[]): void {
    for (const check of this.#checks) {
      const computed = check.scheme.combine(parts.map((part) => stateOf(part, check.slot) ?? ''));
      if (computed === check.wanted) continue;
      throw permanentError(
        ErrorCode.CHECKSUM_MISMATCH,
        `the bytes read have ${check.algorithm} ${computed} where ${check.statedBy} states ${check.wanted}`,
      );
    }
  }
}

function stateOf(part: PartDigests, slot: Check['slot']): string | undefined {
  return slot === 'digest' ? part.digest : part.expectedDigests?.[slot];
}

/**
 * The request's expected size against what the source says (or, streamed, what it sent): a
 * permanent CHECKSUM_MISMATCH, found before any byte is read where the source states its size.
 */
export function expectedSizeMismatch(
  expected: ExpectedChecksums | undefined,
  size: number | null,
): TransferError | null {
  if (expected?.size === undefined || size === null || size === expected.size) return null;
  return permanentError(
    ErrorCode.CHECKSUM_MISMATCH,
    `the source is ${size} bytes where expected.size states ${expected.size}`,
  );
}
