import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** A temporary directory holding one file of `size` random bytes; returns its name and sha256. */
export function randomFile(size: number, name = 'source.bin'): { dir: string; name: string; sha256: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-src-'));
  const hash = createHash('sha256');
  const chunk = 8 * 1024 * 1024;
  const data = Buffer.allocUnsafe(size);
  for (let offset = 0; offset < size; offset += chunk) {
    randomBytes(Math.min(chunk, size - offset)).copy(data, offset);
  }
  hash.update(data);
  writeFileSync(join(dir, name), data);
  return { dir, name, sha256: hash.digest('hex') };
}

/** sha256 of an object as S3 returns it, streamed. */
export async function objectSha256(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ sha256: string; size: number }> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of response.Body as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}
