import { rmSync } from 'node:fs';
import { type FileSourceHandle, startFileSource } from '@ferry/local-stack';
import { randomFile } from '@ferry/test-support';

export interface ServedFile {
  file: { dir: string; name: string; sha256: string };
  /** The ranged HTTP file server; it records every request. */
  source: FileSourceHandle;
  /** The file's URL on that server. */
  url: string;
  /** Stops the server and deletes the file. */
  close(): Promise<void>;
}

/** A random file of `size` bytes served with ranges by the local stack's file server. */
export async function startServedFile(size: number): Promise<ServedFile> {
  const file = randomFile(size);
  const source = await startFileSource({ root: file.dir });
  return {
    file,
    source,
    url: `${source.url}/${file.name}`,
    close: async () => {
      await source.close();
      rmSync(file.dir, { recursive: true, force: true });
    },
  };
}
