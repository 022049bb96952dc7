import { execFileSync } from 'node:child_process';
import { ensureDebianPackages } from '../debian-packages.ts';

export interface CephBinaries {
  cephMon: string;
  cephOsd: string;
  radosgw: string;
  radosgwAdmin: string;
  /** The `ceph` command-line client. */
  ceph: string;
  cephAuthtool: string;
  monmaptool: string;
}

export interface CephInstallation {
  binaries: CephBinaries;
  /** e.g. "16.2.15", as `radosgw --version` reports it. */
  version: string;
}

export interface EnsureCephPackagesOptions {
  /** May we `apt-get install` Ceph when it is missing? Default: when running as root. */
  allowInstall?: boolean;
  log?: (line: string) => void;
}

/** Debian's packages, whose dependencies (ceph-base, ceph-common) bring the tools as well. */
const CEPH_PACKAGES = ['radosgw', 'ceph-mon', 'ceph-osd'];

const BINARY_NAMES: Record<keyof CephBinaries, string> = {
  cephMon: 'ceph-mon',
  cephOsd: 'ceph-osd',
  radosgw: 'radosgw',
  radosgwAdmin: 'radosgw-admin',
  ceph: 'ceph',
  cephAuthtool: 'ceph-authtool',
  monmaptool: 'monmaptool',
};

function cephVersion(radosgw: string): string {
  const output = execFileSync(radosgw, ['--version'], { encoding: 'utf8' });
  const version = /ceph version (\S+)/.exec(output)?.[1];
  if (!version) throw new Error(`cannot read the Ceph version from "${radosgw} --version": ${output.trim()}`);
  return version;
}

/**
 * The Ceph daemons and tools a one-node cluster with radosgw needs, installing Debian's packages
 * first when some are missing and that is allowed.
 */
export function ensureCephPackages(options: EnsureCephPackagesOptions = {}): CephInstallation {
  const paths = ensureDebianPackages(CEPH_PACKAGES, Object.values(BINARY_NAMES), options);
  // ensureDebianPackages returns only when it found every binary asked for.
  const binaries = Object.fromEntries(
    Object.entries(BINARY_NAMES).map(([key, name]) => [key, paths.get(name) as string]),
  ) as unknown as CephBinaries;
  return { binaries, version: cephVersion(binaries.radosgw) };
}
