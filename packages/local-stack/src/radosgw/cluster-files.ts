import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The daemons of the one-node cluster, by their Ceph entity names. */
export const MON_ID = 'a';
export const OSD_ID = '0';
export const RGW_ENTITY = 'client.rgw.ferry';
export const ADMIN_ENTITY = 'client.admin';

/**
 * Where everything of one cluster lives: all inside its own folder, so that clusters started at
 * the same time never share a file, and nothing touches /etc/ceph or /var/lib/ceph.
 */
export interface ClusterFiles {
  dir: string;
  conf: string;
  monmap: string;
  /** Every key of the cluster, which `ceph-mon --mkfs` copies into the mon's auth database. */
  seedKeyring: string;
  keyringOf(entity: string): string;
  monData: string;
  /** Also holds BlueStore's block device, a sparse file named "block". */
  osdData: string;
  rgwData: string;
  runDir: string;
  logDir: string;
  crashDir: string;
  /** Ceph's own log of the entity. */
  logOf(entity: string): string;
  /** The daemon's stdout and stderr, where it says why it could not start. */
  outputOf(entity: string): string;
}

export function clusterFiles(dir: string): ClusterFiles {
  const keyringDir = join(dir, 'keyrings');
  const logDir = join(dir, 'log');
  return {
    dir,
    conf: join(dir, 'ceph.conf'),
    monmap: join(dir, 'monmap'),
    seedKeyring: join(keyringDir, 'seed.keyring'),
    keyringOf: (entity) => join(keyringDir, `${entity}.keyring`),
    monData: join(dir, 'mon'),
    osdData: join(dir, 'osd'),
    rgwData: join(dir, 'rgw'),
    runDir: join(dir, 'run'),
    logDir,
    crashDir: join(dir, 'crash'),
    logOf: (entity) => join(logDir, `${entity}.log`),
    outputOf: (entity) => join(logDir, `${entity}.out`),
  };
}

/** The folders of a new cluster in `dir`, which must be empty or missing. */
export function prepareClusterFolder(dir: string): ClusterFiles {
  mkdirSync(dir, { recursive: true });
  if (readdirSync(dir).length > 0) {
    throw new Error(`${dir} is not empty: a new Ceph cluster needs an empty (or missing) folder`);
  }
  const files = clusterFiles(dir);
  for (const folder of [
    join(dir, 'keyrings'),
    files.monData,
    files.osdData,
    files.rgwData,
    files.runDir,
    files.logDir,
    files.crashDir,
  ]) {
    mkdirSync(folder);
  }
  return files;
}
