import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const NULL_SINK = fileURLToPath(new URL('../../../../bench/null-s3-sink.ts', import.meta.url));

export interface NullSinkProcess {
  endpoint: string;
  stats(): Promise<{ checksumFailures: number; openUploads: number; objects: number }>;
  close(): void;
}

/**
 * The bench's null S3 sink (bench/null-s3-sink.ts) as a process of its own: it decodes aws-chunked
 * bodies and refuses a part whose CRC-32 does not match, as AWS S3 does, and keeps only sizes.
 */
export async function startNullSink(): Promise<NullSinkProcess> {
  const child: ChildProcess = spawn(process.execPath, [NULL_SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  const endpoint = await new Promise<string>((resolve) =>
    createInterface({ input: child.stdout as Readable }).once('line', resolve),
  );
  return {
    endpoint,
    stats: async () =>
      (await (await fetch(`${endpoint}/_stats`)).json()) as Awaited<ReturnType<NullSinkProcess['stats']>>,
    close: () => {
      child.kill('SIGTERM');
    },
  };
}
