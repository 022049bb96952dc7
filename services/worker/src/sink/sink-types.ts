/** Where an object goes. */
export interface ObjectTarget {
  bucket: string;
  key: string;
}

/** A multipart upload in progress. */
export interface UploadRef extends ObjectTarget {
  uploadId: string;
}

/** A part S3 holds: what completing names, and what a resumed attempt checks against ListParts. */
export interface StoredPart {
  partNumber: number;
  etag: string;
  size: number;
  /** The part's CRC-32; null for a server-side copied part when the S3 server did not report one. */
  crc32: number | null;
}

/** What HeadObject says of an object. */
export interface ObjectHead {
  size: number | null;
  etag: string | null;
  /** The object's CRC-32 when S3 keeps a full-object one (a composite of parts' CRCs is not that). */
  fullObjectCrc32: number | null;
  /** The object's user metadata (x-amz-meta-*), names without the prefix. */
  metadata: Record<string, string>;
}
