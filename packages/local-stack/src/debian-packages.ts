import { execFileSync } from 'node:child_process';
import { findExecutable } from './radosgw/find-executable.ts';

export interface EnsureDebianPackagesOptions {
  /** May we `apt-get install` the packages when a binary is missing? Default: when running as root. */
  allowInstall?: boolean;
  log?: (line: string) => void;
}

/** Each binary's path, or the names of those missing. */
function findBinaries(binaries: readonly string[]): Map<string, string> | string[] {
  const found = new Map<string, string>();
  const missing: string[] = [];
  for (const name of binaries) {
    const path = findExecutable(name);
    if (path) found.set(name, path);
    else missing.push(name);
  }
  return missing.length > 0 ? missing : found;
}

/**
 * `apt-get install`s Debian's `packages`, updating the package index once if that fails (usually a
 * stale or, in fresh containers, empty one). Another apt-get holding dpkg's lock (unattended
 * upgrades, a second test process installing at the same moment) is waited for, not failed on.
 */
export function installPackages(packages: readonly string[], log: (line: string) => void): void {
  log(`installing Debian's ${packages.join(', ')} packages`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const aptGet = (...args: string[]) =>
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
    });
  try {
    aptGet('install', '-y', '-q', ...packages);
  } catch {
    aptGet('update', '-q');
    aptGet('install', '-y', '-q', ...packages);
  }
}

/**
 * The paths of `binaries` (by default named like the packages), installing Debian's `packages`
 * first when some are missing and that is allowed; throws naming the missing binaries and the
 * command that would install them otherwise.
 */
export function ensureDebianPackages(
  packages: readonly string[],
  binaries: readonly string[] = packages,
  options: EnsureDebianPackagesOptions = {},
): Map<string, string> {
  let found = findBinaries(binaries);
  const allowInstall = options.allowInstall ?? process.getuid?.() === 0;
  if (Array.isArray(found) && allowInstall) {
    installPackages(packages, options.log ?? (() => {}));
    found = findBinaries(binaries);
  }
  if (Array.isArray(found)) {
    throw new Error(
      `${found.join(', ')} not installed: install ${found.length === 1 ? 'it' : 'them'} with "apt-get install -y ${packages.join(' ')}" (Debian/Ubuntu)${allowInstall ? '' : ', or run as root to have it installed'}`,
    );
  }
  return found;
}
