import { EXPECTED_DIGESTS, type ExpectedChecksums, expectedDigestHex } from '@ferry/shared';
import type { SourceMetadata } from '../sources/source.ts';
import { formatDigest } from './whole-file-digest.ts';

/** S3 allows 2 KB of user metadata in all; these stay well inside it. */
const MAX_VERSION = 256;
const MAX_LOCATION = 1024;

/** The user metadata names (x-amz-meta-…) the overwrite policies read back. */
export const SOURCE_CHECKSUM_FIELD = 'ferry-source-checksum';
export const IMPORT_ID_FIELD = 'ferry-import-id';

/**
 * User metadata recorded on the object (S3 sends it as x-amz-meta-ferry-source-version and
 * x-amz-meta-ferry-source-url): which version of which source it was made from, so anyone holding
 * the object can tell whether the source has changed since; the digest of the file verified before
 * completing (x-amz-meta-ferry-source-checksum: the provider's own, else one the request expected),
 * which `if-different` compares later imports with; and the import that wrote it
 * (x-amz-meta-ferry-import-id), so a retry that finds it knows it for its own. The location never
 * carries a query string or credentials (signed URLs and tokens live there); values are kept to
 * printable ASCII, as S3 wants its metadata.
 */
export function sourceMetadataHeaders(
  metadata: SourceMetadata,
  importId: string,
  expected?: ExpectedChecksums,
): Record<string, string> {
  const headers: Record<string, string> = { [IMPORT_ID_FIELD]: printable(importId, MAX_VERSION) };
  if (metadata.version) headers['ferry-source-version'] = printable(metadata.version, MAX_VERSION);
  const checksum = verifiedChecksum(metadata, expected);
  if (checksum) headers[SOURCE_CHECKSUM_FIELD] = printable(checksum, MAX_VERSION);
  if (metadata.location) headers['ferry-source-url'] = printable(metadata.location, MAX_LOCATION);
  return headers;
}

function verifiedChecksum(metadata: SourceMetadata, expected: ExpectedChecksums | undefined): string | null {
  if (metadata.digest) return formatDigest(metadata.digest);
  for (const name of EXPECTED_DIGESTS) {
    const value = expected?.[name];
    if (value !== undefined) return `${name}:${expectedDigestHex(value)}`;
  }
  return null;
}

function printable(value: string, max: number): string {
  return value.replace(/[^\x20-\x7e]/g, (char) => encodeURIComponent(char)).slice(0, max);
}
