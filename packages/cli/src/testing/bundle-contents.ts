import { type Dirent, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../paths.ts';

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const readManifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/**
 * The name of every package installed in a deployed bundle. Each entry of pnpm's virtual store
 * (node_modules/.pnpm/<entry>/node_modules/) holds its package as a folder beside links to that
 * package's dependencies.
 */
export function installedPackages(bundleDir: string): Map<string, string> {
  const store = join(bundleDir, 'node_modules/.pnpm');
  const installed = new Map<string, string>();
  for (const entry of readdirSync(store, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === 'node_modules') continue;
    for (const dir of packageFolders(join(store, entry.name, 'node_modules'))) {
      installed.set(readManifest(dir).name, dir);
    }
  }
  return installed;
}

function packageFolders(nodeModules: string): string[] {
  const folders = (dir: string): Dirent[] => readdirSync(dir, { withFileTypes: true });
  return folders(nodeModules).flatMap((entry) => {
    if (!entry.isDirectory()) return [];
    const dir = join(nodeModules, entry.name);
    if (!entry.name.startsWith('@')) return [dir];
    return folders(dir)
      .filter((scoped) => scoped.isDirectory())
      .map((scoped) => join(dir, scoped.name));
  });
}

/**
 * What must stay out of the bundle: the devDependencies of the workspace root and of every workspace
 * package the bundle holds (`@ferry/<name>`), unless one of those packages depends on it for real.
 */
export function developmentOnlyPackages(bundled: Iterable<string>): Set<string> {
  const workspace = new Map<string, Manifest>();
  for (const group of ['packages', 'services']) {
    for (const entry of readdirSync(join(REPO_ROOT, group), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const manifest = readManifest(join(REPO_ROOT, group, entry.name));
      workspace.set(manifest.name, manifest);
    }
  }
  const manifests = [readManifest(REPO_ROOT)];
  for (const name of bundled) {
    const manifest = workspace.get(name);
    if (manifest) manifests.push(manifest);
  }
  const production = new Set(manifests.flatMap((manifest) => Object.keys(manifest.dependencies ?? {})));
  return new Set(
    manifests
      .flatMap((manifest) => Object.keys(manifest.devDependencies ?? {}))
      .filter((name) => !production.has(name)),
  );
}

/** Every file under `dir` whose path `matches`, relative to `dir`. */
export function filesUnder(dir: string, matches: (path: string) => boolean): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .filter(matches);
}

/** Symbolic links in `dir` that lead out of it (back into the workspace, say), as `link -> target`. */
export function linksLeaving(dir: string): string[] {
  const root = realpathSync(dir);
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isSymbolicLink())
    .map((entry) => join(entry.parentPath, entry.name))
    .map((link) => ({ link, target: realpathSync(link) }))
    .filter(({ target }) => target !== root && !target.startsWith(`${root}/`))
    .map(({ link, target }) => `${relative(dir, link)} -> ${target}`);
}
