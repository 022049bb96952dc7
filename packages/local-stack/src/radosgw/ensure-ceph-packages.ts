import { execFileSync } from 'node:child_process';
import { findExecutable } from './find-executable.ts';

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

/** All the binaries, or the names of those missing. */
function findCephBinaries(): CephBinaries | string[] {
  const found: Partial<CephBinaries> = {};
  const missing: string[] = [];
  for (const [key, name] of Object.entries(BINARY_NAMES) as [keyof CephBinaries, string][]) {
    const path = findExecutable(name);
    if (path) found[key] = path;
    else missing.push(name);
  }
  return missing.length > 0 ? missing : (found as CephBinaries);
}

function installCephPackages(log: (line: string) => void): void {
  log(`Ceph not found: installing Debian's ${CEPH_PACKAGES.join(', ')} packages`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    execFileSync('apt-get', ['install', '-y', '-q', ...CEPH_PACKAGES], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
    });
  try {
    install();
  } catch {
    // Usually a stale (or, in fresh containers, empty) package index.
    execFileSync('apt-get', ['update', '-q'], { stdio: ['ignore', 'ignore', 'pipe'], env });
    install();
  }
}

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
  const log = options.log ?? (() => {});
  let found = findCephBinaries();
  const allowInstall = options.allowInstall ?? process.getuid?.() === 0;
  if (Array.isArray(found) && allowInstall) {
    installCephPackages(log);
    found = findCephBinaries();
  }
  if (Array.isArray(found)) {
    throw new Error(
      `Ceph is not installed (missing ${found.join(', ')}): install it with "apt-get install -y ${CEPH_PACKAGES.join(' ')}" (Debian/Ubuntu)`,
    );
  }
  return { binaries: found, version: cephVersion(found.radosgw) };
}
