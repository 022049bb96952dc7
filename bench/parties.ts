import { join } from 'node:path';
import { Child } from './processes.ts';
import type { SourceUsage } from './results.ts';
import { crc32OfStream, type SourceFile } from './source-files.ts';
import type { S3Credentials } from './workspace.ts';

/**
 * The long-lived processes of a run: the HTTP source and the sinks, each started from bench/ (the
 * Ceph RGW sink, a cluster of its own, is in radosgw-sink.ts). Both tools of a scenario talk to the
 * same instances, so they pay for the same loopback, the same page cache and the same sink.
 */
const here = (file: string) => new URL(file, import.meta.url).pathname;

async function startScript(
  name: string,
  script: string,
  args: string[],
): Promise<{ child: Child; url: string }> {
  const child = new Child(name, process.execPath, [here(script), ...args], {});
  return { child, url: await child.firstLine() };
}

export interface SourceStats extends SourceUsage {
  ranges: Array<{ at: number; method: string; path: string; range: string | null; bytes: number }>;
}

export class SourceServer {
  readonly child: Child;
  readonly url: string;

  private constructor(child: Child, url: string) {
    this.child = child;
    this.url = url;
  }

  static async start(root: string): Promise<SourceServer> {
    const { child, url } = await startScript('source', './source-server.ts', [root]);
    return new SourceServer(child, url);
  }

  fileUrl(file: SourceFile): string {
    return `${this.url}/${file.name}`;
  }

  /** What was served since the last reset; `reset` starts a new count after answering. */
  async stats(reset = false): Promise<SourceStats> {
    const response = await fetch(`${this.url}/_stats${reset ? '?reset=1' : ''}`);
    return (await response.json()) as SourceStats;
  }
}

export interface NullSinkStats {
  openUploads: number;
  openUploadKeys?: string[];
  objects: number;
  checksumFailures: number;
}

export interface Sink {
  /** 'null sink', 'fauxqs', 'Ceph RGW 16.2.15': the column label. */
  name: string;
  endpoint: string;
  /** Where rclone sends its requests (fauxqs needs a fix-up in front of it, see etag-fixup-proxy.ts). */
  rcloneEndpoint: string;
  bucket: string;
  /** The keys both tools sign with: RGW checks them, the others take any. */
  credentials: S3Credentials;
  /** The processes whose CPU is the sink's: one, or Ceph's three daemons. */
  pids: readonly number[];
  objectSize(key: string): Promise<number | null>;
  /** CRC-32 of the stored bytes (the null sink's is combined from the parts it was sent). */
  objectCrc32(key: string): Promise<number | null>;
  stats(): Promise<NullSinkStats | null>;
  stop(): Promise<void>;
}

export const BENCH_BUCKET = 'ferry-bench';
/** For the null sink and fauxqs, which check no signature: any keys do. */
const ANY_CREDENTIALS: S3Credentials = { accessKeyId: 'ferry-bench', secretAccessKey: 'ferry-bench-secret' };

// Both accept unsigned requests too, which keeps their checks free of an S3 client.
async function headSize(endpoint: string, key: string): Promise<number | null> {
  const response = await fetch(`${endpoint}/${BENCH_BUCKET}/${key}`, { method: 'HEAD' });
  return response.ok ? Number(response.headers.get('content-length')) : null;
}

/** bench/null-s3-sink.ts: accepts and checksums multipart uploads, keeps only sizes. */
export async function startNullSink(): Promise<Sink> {
  const { child, url } = await startScript('null sink', './null-s3-sink.ts', []);
  return {
    name: 'null sink',
    endpoint: url,
    rcloneEndpoint: url,
    bucket: BENCH_BUCKET,
    credentials: ANY_CREDENTIALS,
    pids: [child.pid],
    objectSize: (key) => headSize(url, key),
    objectCrc32: async (key) => {
      const response = await fetch(`${url}/${BENCH_BUCKET}/${key}`, { method: 'HEAD' });
      const crc = response.headers.get('x-bench-crc32');
      return response.ok && crc ? Number.parseInt(crc, 16) : null;
    },
    stats: async () => (await (await fetch(`${url}/_stats`)).json()) as NullSinkStats,
    stop: () => child.stop(),
  };
}

/** fauxqs, the embedded S3 server of `ferry up` and the tests, storing under `tmpDir`. */
export async function startFauxqsSink(tmpDir: string): Promise<Sink> {
  const storage = join(tmpDir, `fauxqs-${process.pid}`);
  const { child, url } = await startScript('fauxqs', './fauxqs-sink.ts', [storage, BENCH_BUCKET]);
  const proxy = await startScript('etag fix-up proxy', './etag-fixup-proxy.ts', [url]);
  return {
    name: 'fauxqs',
    endpoint: url,
    rcloneEndpoint: proxy.url,
    bucket: BENCH_BUCKET,
    credentials: ANY_CREDENTIALS,
    pids: [child.pid],
    objectSize: (key) => headSize(url, key),
    objectCrc32: async (key) => {
      const response = await fetch(`${url}/${BENCH_BUCKET}/${key}`);
      if (!response.ok || !response.body) return null;
      return (await crc32OfStream(response.body)).crc32;
    },
    stats: async () => null,
    stop: async () => {
      await proxy.child.stop();
      await child.stop('SIGTERM', 15_000); // removes its storage directory on the way out
    },
  };
}
