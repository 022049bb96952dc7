import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths.ts';

/**
 * The node arguments infra/Dockerfile's ENTRYPOINT runs (what follows `node`, before the command),
 * with the image's WORKDIR mapped to `bundleDir`: read from the Dockerfile itself so that a test of
 * the bundle runs exactly what the image does.
 */
export function imageNodeArguments(bundleDir: string): string[] {
  const dockerfile = readFileSync(join(REPO_ROOT, 'infra/Dockerfile'), 'utf8');
  // The runtime stage is the last one, so its WORKDIR and ENTRYPOINT are the last of each.
  const workdir = lastInstruction(dockerfile, 'WORKDIR');
  const entrypoint = JSON.parse(lastInstruction(dockerfile, 'ENTRYPOINT')) as string[];
  const node = entrypoint.indexOf('node');
  if (node < 0) throw new Error(`the image's ENTRYPOINT runs no node: ${JSON.stringify(entrypoint)}`);
  return entrypoint
    .slice(node + 1)
    .map((arg) => (arg.startsWith(`${workdir}/`) ? join(bundleDir, arg.slice(workdir.length)) : arg));
}

function lastInstruction(dockerfile: string, instruction: string): string {
  const found = [...dockerfile.matchAll(new RegExp(`^${instruction}\\s+(.+)$`, 'gm'))].at(-1)?.[1];
  if (found === undefined) throw new Error(`infra/Dockerfile has no ${instruction}`);
  return found.trim();
}
