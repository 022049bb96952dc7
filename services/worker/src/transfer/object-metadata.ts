import type { SourceMetadata } from '../sources/source.ts';
import { formatDigest } from './whole-file-digest.ts';

/** S3 allows 2 KB of user metadata in all; these stay well inside it. */
const MAX_VERSION = 256;
const MAX_LOCATION = 1024;

/**
 * User metadata recorded on the object (S3 sends it as x-amz-meta-ferry-source-version and
 * x-amz-meta-ferry-source-url): which version of which source it was made from, so anyone holding
 * the object can tell whether the source has changed since; and the provider's own digest of the
 * file when it states one (x-amz-meta-ferry-source-checksum), verified before completing. The location never carries a query
 * string or credentials (signed URLs and tokens live there); values are kept to printable ASCII, as
 * S3 wants its metadata.
 */
export function sourceMetadataHeaders(metadata: SourceMetadata): Record<string, string> {
  const headers: Record<string, string> = {};
  if (metadata.version) headers['ferry-source-version'] = printable(metadata.version, MAX_VERSION);
  if (metadata.digest)
    headers['ferry-source-checksum'] = printable(formatDigest(metadata.digest), MAX_VERSION);
  if (metadata.location) headers['ferry-source-url'] = printable(metadata.location, MAX_LOCATION);
  return headers;
}

function printable(value: string, max: number): string {
  return value.replace(/[^\x20-\x7e]/g, (char) => encodeURIComponent(char)).slice(0, max);
}
