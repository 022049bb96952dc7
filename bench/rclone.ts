import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchContext } from './context.ts';
import { failedRun } from './ferry.ts';
import type { Sink } from './parties.ts';
import { Child, cpuDelta, totalCpuTimes } from './processes.ts';
import type { TransferRun } from './results.ts';
import type { SourceFile } from './source-files.ts';

/**
 * The peer: rclone's `copyurl` (one GET of the whole URL, streamed into a multipart upload of 5 MiB
 * parts, 4 at a time, each with a Content-MD5) against the same source and sink as Ferry, with
 * rclone's default settings.
 */

/** `rclone v1.60.1-DEV`, or null when rclone is not installed. */
export function rcloneVersion(): string | null {
  try {
    return execFileSync('rclone', ['version'], { encoding: 'utf8' }).split('\n')[0]?.trim() ?? null;
  } catch {
    return null;
  }
}

export const RCLONE_MISSING =
  'rclone is not installed: `apt-get install rclone` (Debian/Ubuntu) to compare with it';

/**
 * A remote named "sink" configured entirely by environment, so no rclone.conf is read or written.
 * AWS_CA_BUNDLE is dropped: when set (as on these machines) rclone's AWS SDK fails with
 * "LoadCustomCABundleError ... unsupported transport" before sending anything, and the sinks are
 * plain http anyway.
 */
function rcloneEnv(sink: Sink): NodeJS.ProcessEnv {
  const { AWS_CA_BUNDLE: _dropped, ...env } = process.env;
  return {
    ...env,
    RCLONE_CONFIG: '/dev/null',
    RCLONE_CONFIG_SINK_TYPE: 's3',
    RCLONE_CONFIG_SINK_PROVIDER: 'Other',
    RCLONE_CONFIG_SINK_ENDPOINT: sink.rcloneEndpoint,
    RCLONE_CONFIG_SINK_REGION: 'us-east-1',
    RCLONE_CONFIG_SINK_ACCESS_KEY_ID: sink.credentials.accessKeyId,
    RCLONE_CONFIG_SINK_SECRET_ACCESS_KEY: sink.credentials.secretAccessKey,
    RCLONE_CONFIG_SINK_FORCE_PATH_STYLE: 'true',
    // The bucket exists; without this rclone tries to create it first.
    RCLONE_CONFIG_SINK_NO_CHECK_BUCKET: 'true',
  };
}

/**
 * Runs rclone under GNU time, which reports the wall time, user and system CPU and peak RSS of
 * exactly that process. `--retries 1`: by default rclone silently repeats a failed copy up to three
 * times, which would show as a tripled cost instead of a failure.
 */
export async function rcloneTransfer(
  ctx: BenchContext,
  sink: Sink,
  file: SourceFile,
  label: string,
): Promise<TransferRun> {
  const key = `rclone/${ctx.runId}/${label}/${file.name}`;
  const timeFile = join(ctx.tmpDir, `rclone-time-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await ctx.source.stats(true);
    const sinkBefore = totalCpuTimes(sink.pids);
    const rclone = new Child(
      'rclone',
      '/usr/bin/time',
      [
        '-f',
        '%e %U %S %M',
        '-o',
        timeFile,
        'rclone',
        'copyurl',
        '--retries',
        '1',
        ctx.source.fileUrl(file),
        `sink:${sink.bucket}/${key}`,
      ],
      { env: rcloneEnv(sink) },
    );
    await rclone.exited;
    const sinkCpu = cpuDelta(sinkBefore, totalCpuTimes(sink.pids));
    if (rclone.proc.exitCode !== 0) throw new Error(`rclone failed: ${rclone.output().slice(-600)}`);
    const [wallS = 0, userS = 0, sysS = 0, maxRssKiB = 0] =
      (await readFile(timeFile, 'utf8')).trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
    const served = await ctx.source.stats();
    const check = await verifyRcloneObject(sink, file, key);
    return {
      tool: 'rclone',
      sink: sink.name,
      bytes: file.size,
      ok: check.ok,
      ...(check.ok ? {} : { error: check.detail }),
      wallS,
      userS,
      sysS,
      cpuS: userS + sysS,
      peakRssBytes: maxRssKiB * 1024,
      sinkCpuS: sinkCpu.cpuS,
      source: { requests: served.requests, bytes: served.bytes },
      verified: check.detail,
    };
  } catch (error) {
    return failedRun('rclone', sink, file, error);
  } finally {
    await rm(timeFile, { force: true });
  }
}

async function verifyRcloneObject(
  sink: Sink,
  file: SourceFile,
  key: string,
): Promise<{ ok: boolean; detail: string }> {
  const stored = await sink.objectSize(key);
  if (stored !== file.size) return { ok: false, detail: `the sink holds ${stored} bytes of ${file.size}` };
  const crc = await sink.objectCrc32(key);
  if (crc === null) return { ok: true, detail: 'sink size = source (rclone checks its own MD5s)' };
  if (crc !== file.crc32) return { ok: false, detail: 'the stored bytes differ from the source' };
  return { ok: true, detail: 'sink CRC-32 of the object = source' };
}
