import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface SampleFile {
  dir: string;
  name: string;
  size: number;
  sha256: string;
}

/** A file of random bytes for the demo, made once per size and kept with its sha256 beside it. */
export function ensureSampleFile(dir: string, sizeMiB: number): SampleFile {
  mkdirSync(dir, { recursive: true });
  const name = `sample-${sizeMiB}MiB.bin`;
  const path = join(dir, name);
  const digestPath = `${path}.sha256`;
  if (existsSync(path) && existsSync(digestPath)) {
    return { dir, name, size: sizeMiB * 1024 * 1024, sha256: readFileSync(digestPath, 'utf8').trim() };
  }
  const hash = createHash('sha256');
  const fd = openSync(path, 'w');
  try {
    for (let i = 0; i < sizeMiB; i++) {
      const chunk = randomBytes(1024 * 1024);
      hash.update(chunk);
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
  const sha256 = hash.digest('hex');
  writeFileSync(digestPath, `${sha256}\n`);
  return { dir, name, size: sizeMiB * 1024 * 1024, sha256 };
}
