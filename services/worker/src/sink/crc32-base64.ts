/** The base64 big-endian form S3 uses in x-amz-checksum-crc32. */
export function crc32Base64(crc: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc >>> 0);
  return bytes.toString('base64');
}

export function crc32FromBase64(value: string): number | null {
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === 4 ? bytes.readUInt32BE(0) : null;
}
