import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../free-port.ts';
import type { S3Credentials } from '../local-s3-client.ts';
import { cephConfig, monAddress } from './ceph-config.ts';
import type { CephDaemon } from './ceph-daemon.ts';
import { MON_ID, OSD_ID, prepareClusterFolder, RGW_ENTITY } from './cluster-files.ts';
import { createKeyrings } from './create-keyrings.ts';
import { DaemonGroup } from './daemon-group.ts';
import { ensureCephPackages } from './ensure-ceph-packages.ts';
import { runCephTool } from './run-ceph-tool.ts';
import { waitForAnonymousS3, waitForSignedS3 } from './wait-for-s3.ts';

export interface RadosgwHandle {
  /** http://127.0.0.1:<port>, for path-style addressing. */
  endpoint: string;
  credentials: S3Credentials;
  /** The Ceph version, e.g. "16.2.15". */
  version: string;
  dir: string;
  /** Process ids of ceph-mon, ceph-osd and radosgw, for measuring what the cluster costs (/proc/<pid>/stat). */
  pids: readonly number[];
  /** Stops every daemon of the cluster, and removes `dir` when asked to. */
  close(): Promise<void>;
}

export interface StartRadosgwOptions {
  /** Holds everything of the cluster; must be empty or missing. */
  dir: string;
  /** radosgw's port; default: a free one. */
  port?: number;
  /** May we `apt-get install` Ceph when it is missing? Default: when running as root. */
  allowInstall?: boolean;
  removeOnClose?: boolean;
  log?: (line: string) => void;
}

const START_TIMEOUT_MS = 90_000;
const S3_USER = { uid: 'ferry', displayName: 'Ferry' };

/** `step`, whose error is blamed on `daemon` and ends with the daemon's log. */
async function blame<T>(daemon: CephDaemon, step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (error) {
    throw new Error(`${daemon.label}: ${(error as Error).message}\n${daemon.logTail()}`, { cause: error });
  }
}

function randomCredentials(): S3Credentials {
  return {
    accessKeyId: randomBytes(10).toString('hex').toUpperCase(),
    secretAccessKey: randomBytes(20).toString('hex'),
  };
}

/**
 * Starts a new one-node Ceph cluster in `options.dir` (one mon, one BlueStore OSD on a sparse file,
 * no mgr) with radosgw serving S3 on a loopback port, and an S3 user whose keys the handle holds.
 * Resolves once signed S3 requests succeed. Every port and file is the cluster's own, so several
 * clusters can run side by side.
 */
export async function startRadosgw(options: StartRadosgwOptions): Promise<RadosgwHandle> {
  const log = options.log ?? (() => {});
  const startedAt = Date.now();
  const deadline = startedAt + START_TIMEOUT_MS;
  const { binaries, version } = ensureCephPackages({ allowInstall: options.allowInstall, log });
  const files = prepareClusterFolder(options.dir);
  const fsid = randomUUID();
  const mon = monAddress({ v2: await freePort(), v1: await freePort() });
  const rgwPort = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${rgwPort}`;
  const credentials = randomCredentials();
  writeFileSync(files.conf, cephConfig({ files, fsid, monAddress: mon, rgwPort }));

  const daemons = new DaemonGroup(files);
  const { signal } = daemons;
  try {
    await createKeyrings(binaries.cephAuthtool, files);
    await runCephTool(binaries.monmaptool, files.conf, [
      '--create',
      '--fsid',
      fsid,
      '--addv',
      MON_ID,
      mon,
      files.monmap,
    ]);
    await runCephTool(binaries.cephMon, files.conf, [
      '--mkfs',
      '-i',
      MON_ID,
      '--monmap',
      files.monmap,
      '--keyring',
      files.seedKeyring,
    ]);

    // BlueStore's mkfs needs no mon, so it runs while the mon starts and registers the OSD.
    const osdUuid = randomUUID();
    const osdMkfs = runCephTool(
      binaries.cephOsd,
      files.conf,
      ['--no-mon-config', '--mkfs', '-i', OSD_ID, '--osd-uuid', osdUuid],
      { signal },
    );
    const monDaemon = daemons.spawn(binaries.cephMon, ['-i', MON_ID], `mon.${MON_ID}`);
    const osdRegistered = blame(
      monDaemon,
      runCephTool(binaries.ceph, files.conf, ['--connect-timeout', '30', 'osd', 'new', osdUuid, OSD_ID], {
        signal,
      }),
    );
    await daemons.guard(Promise.all([osdMkfs, osdRegistered]));

    // radosgw need not wait for the OSD: its first requests wait inside librados until the OSD is up.
    daemons.spawn(binaries.cephOsd, ['-i', OSD_ID], `osd.${OSD_ID}`);
    const rgw = daemons.spawn(binaries.radosgw, ['-n', RGW_ENTITY], RGW_ENTITY);
    await daemons.guard(blame(rgw, waitForAnonymousS3(endpoint, deadline)));
    await daemons.guard(
      runCephTool(
        binaries.radosgwAdmin,
        files.conf,
        [
          'user',
          'create',
          `--uid=${S3_USER.uid}`,
          `--display-name=${S3_USER.displayName}`,
          `--access-key=${credentials.accessKeyId}`,
          `--secret-key=${credentials.secretAccessKey}`,
        ],
        { signal },
      ),
    );
    await daemons.guard(blame(rgw, waitForSignedS3(endpoint, credentials, deadline)));
    daemons.markStarted();
  } catch (error) {
    daemons.fail(error as Error);
    await daemons.stopAll();
    if (options.removeOnClose) rmSync(options.dir, { recursive: true, force: true });
    throw error;
  }
  log(`started Ceph ${version} radosgw on ${endpoint} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);

  return {
    endpoint,
    credentials,
    version,
    dir: options.dir,
    pids: daemons.pids(),
    close: async () => {
      await daemons.stopAll();
      if (options.removeOnClose) rmSync(options.dir, { recursive: true, force: true });
    },
  };
}
