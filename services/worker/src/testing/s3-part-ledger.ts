/** A part the proxy saw S3 accept. */
export interface LedgerPart {
  partNumber: number;
  etag: string;
  size: number;
  /** Base64, as S3 sends it in x-amz-checksum-crc32; absent when S3 did not echo one. */
  checksumCrc32?: string;
  lastModified: Date;
}

/**
 * The multipart uploads an S3 proxy has seen pass through and the parts S3 accepted for each, so the
 * proxy can answer ListParts for a server that does not (fauxqs). Only uploads created through the
 * proxy are known: any other upload id is NoSuchUpload, as are uploads completed or aborted.
 */
export class S3PartLedger {
  readonly #uploads = new Map<string, { bucket: string; key: string; parts: Map<number, LedgerPart> }>();

  created(uploadId: string, bucket: string, key: string): void {
    this.#uploads.set(uploadId, { bucket, key, parts: new Map() });
  }

  partStored(uploadId: string, part: LedgerPart): void {
    this.#uploads.get(uploadId)?.parts.set(part.partNumber, part);
  }

  /** Completed or aborted: S3 forgets the upload's parts. */
  ended(uploadId: string): void {
    this.#uploads.delete(uploadId);
  }

  /** Makes S3's answer disagree with what happened, as a test needs: forget one stored part. */
  forgetPart(uploadId: string, partNumber: number): void {
    this.#uploads.get(uploadId)?.parts.delete(partNumber);
  }

  /** The ListPartsResult XML, or null for an upload S3 does not have. */
  listPartsXml(
    uploadId: string,
    bucket: string,
    key: string,
    options: { maxParts: number; marker: number },
  ): string | null {
    const upload = this.#uploads.get(uploadId);
    if (!upload || upload.bucket !== bucket || upload.key !== key) return null;
    const all = [...upload.parts.values()]
      .filter((part) => part.partNumber > options.marker)
      .sort((a, b) => a.partNumber - b.partNumber);
    const page = all.slice(0, options.maxParts);
    const truncated = all.length > page.length;
    const last = page.at(-1)?.partNumber ?? options.marker;
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      `<Bucket>${escapeXml(bucket)}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${escapeXml(uploadId)}</UploadId>`,
      `<PartNumberMarker>${options.marker}</PartNumberMarker><NextPartNumberMarker>${last}</NextPartNumberMarker>`,
      `<MaxParts>${options.maxParts}</MaxParts><IsTruncated>${truncated}</IsTruncated>`,
      ...page.map(
        (part) =>
          `<Part><PartNumber>${part.partNumber}</PartNumber>` +
          `<LastModified>${part.lastModified.toISOString()}</LastModified>` +
          `<ETag>${escapeXml(part.etag)}</ETag><Size>${part.size}</Size>` +
          (part.checksumCrc32 ? `<ChecksumCRC32>${part.checksumCrc32}</ChecksumCRC32>` : '') +
          '</Part>',
      ),
      '<ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>',
      '</ListPartsResult>',
    ].join('');
  }
}

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}
