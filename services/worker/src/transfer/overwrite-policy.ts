import {
  EXPECTED_DIGESTS,
  type ExistenceCheck,
  type ExpectedChecksums,
  expectedDigestHex,
  type ImportResult,
  inSpan,
  type SkipReason,
} from '@ferry/shared';
import type { ObjectHead } from '../sink/sink-types.ts';
import type { SourceMetadata } from '../sources/source.ts';
import { formatCrc32 } from './crc32-combine.ts';
import { IMPORT_ID_FIELD, SOURCE_CHECKSUM_FIELD } from './object-metadata.ts';
import type { TransferContext } from './transfer-context.ts';
import { formatDigest } from './whole-file-digest.ts';
import { withRetries } from './with-retries.ts';

/** How the write that makes the object is sent: conditional on the key being free, or not. */
export interface WriteGuard {
  ifNoneMatch: boolean;
  /** For overwrite `never`: what the result reports of how the key's absence was made sure of. */
  existenceCheck?: ExistenceCheck;
}

/**
 * Before any byte moves: under `never` or `if-different`, the destination's object when it stays
 * (a skipped result), or null when the import goes on. An object this import wrote itself (an
 * earlier attempt completed it and died before recording so) is no reason to skip: the transfer
 * goes on and recognises it.
 */
export async function checkDestination(
  ctx: TransferContext,
  metadata: SourceMetadata,
  startedAt: number,
): Promise<ImportResult | null> {
  if (ctx.overwrite === 'always') return null;
  const head = await inSpan('ferry.destination', {}, () => headDestination(ctx));
  if (!head || writtenBy(head, ctx.importId)) return null;
  if (ctx.overwrite === 'never') return skippedResult(ctx, head, 'exists', 'head', startedAt);
  return sameContent(head, metadata, ctx.expected)
    ? skippedResult(ctx, head, 'identical', null, startedAt)
    : null;
}

/**
 * Right before the write that makes the object (CompleteMultipartUpload, or PutObject of an empty
 * file): under `never`, conditional where the endpoint refuses such writes to a key that exists;
 * elsewhere the key is looked at once more (an object written between this HEAD and the write is
 * overwritten: not atomic). Answers the guard, or the skipped result when the key was taken.
 */
export async function guardWrite(
  ctx: TransferContext,
  write: 'put' | 'complete',
  startedAt: number,
): Promise<WriteGuard | { skipped: ImportResult }> {
  if (ctx.overwrite !== 'never') return { ifNoneMatch: false };
  const conditional = await ctx.sink.conditionalWrites(ctx.destination.bucket, ctx.abort);
  if (conditional[write]) return { ifNoneMatch: true, existenceCheck: 'conditional-write' };
  const head = await headDestination(ctx);
  if (head && !writtenBy(head, ctx.importId)) {
    return { skipped: skippedResult(ctx, head, 'exists', 'head', startedAt) };
  }
  ctx.logger.info(
    { write },
    'overwrite never: this S3 endpoint has no conditional write for this; the key was checked with HEAD (not atomic)',
  );
  return { ifNoneMatch: false, existenceCheck: 'head' };
}

/**
 * A conditional write found the key taken: the skipped result for the object there, or null when
 * that object is this import's own (an earlier attempt completed it).
 */
export async function keyTaken(ctx: TransferContext, startedAt: number): Promise<ImportResult | null> {
  const head = await headDestination(ctx);
  if (head && writtenBy(head, ctx.importId)) return null;
  // Gone again between the refusal and the HEAD: the key was taken when it mattered.
  return skippedResult(ctx, head, 'exists', 'conditional-write', startedAt);
}

function headDestination(ctx: TransferContext): Promise<ObjectHead | null> {
  return withRetries(() => ctx.sink.head(ctx.destination, ctx.abort), {
    tries: ctx.partTries,
    policy: ctx.partBackoff,
    random: ctx.random,
    signal: ctx.abort,
  });
}

function writtenBy(head: ObjectHead, importId: string): boolean {
  return head.metadata[IMPORT_ID_FIELD] === importId;
}

/**
 * Whether the object holds these very bytes, as far as both sides can state it: the same size, and
 * the same checksum of one kind. Where the object was made by Ferry, its source checksum (metadata)
 * against the source's digest or the request's expected one; S3's full-object CRC-32 against the
 * one the source states; a single-part object's MD5 ETag against an MD5 the source or the request
 * states (an ETag that is no MD5 only fails to match). Nothing comparable: not sure, so written.
 */
export function sameContent(
  head: ObjectHead,
  metadata: SourceMetadata,
  expected: ExpectedChecksums | undefined,
): boolean {
  const size = metadata.size ?? expected?.size ?? null;
  if (size === null || head.size !== size) return false;
  const known = knownChecksums(metadata, expected);
  const recorded = head.metadata[SOURCE_CHECKSUM_FIELD]?.toLowerCase();
  if (recorded) {
    const algorithm = recorded.slice(0, recorded.indexOf(':') + 1);
    const ours = known.find((checksum) => checksum.startsWith(algorithm));
    if (ours) return ours === recorded;
  }
  if (metadata.crc32 !== undefined && head.fullObjectCrc32 !== null) {
    return metadata.crc32 === head.fullObjectCrc32;
  }
  const etag = (head.etag ?? '').replaceAll('"', '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(etag) && known.includes(`md5:${etag}`);
}

/** Every whole-file checksum known of the source before reading it, as `<algorithm>:<hex>`. */
export function knownChecksums(metadata: SourceMetadata, expected: ExpectedChecksums | undefined): string[] {
  const known = metadata.digest ? [formatDigest(metadata.digest).toLowerCase()] : [];
  for (const name of EXPECTED_DIGESTS) {
    const value = expected?.[name];
    if (value !== undefined) known.push(`${name}:${expectedDigestHex(value)}`);
  }
  return known;
}

function skippedResult(
  ctx: TransferContext,
  head: ObjectHead | null,
  reason: SkipReason,
  check: ExistenceCheck | null,
  startedAt: number,
): ImportResult {
  const etag = head?.etag ?? '';
  ctx.progress.done = 0;
  ctx.logger.info(
    { reason, existenceCheck: check },
    `overwrite ${ctx.overwrite}: the destination is left as it is`,
  );
  return {
    size: head?.size ?? 0,
    etag,
    checksum: head && head.fullObjectCrc32 !== null ? formatCrc32(head.fullObjectCrc32) : `s3-etag:${etag}`,
    partCount: 0,
    durationMs: ctx.now() - startedAt,
    skipped: true,
    skipReason: reason,
    ...(check ? { existenceCheck: check } : {}),
  };
}
