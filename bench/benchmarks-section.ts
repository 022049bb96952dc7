import { readFile, writeFile } from 'node:fs/promises';
import { MARKER } from './report.ts';

/**
 * A run that writes a section of BENCHMARKS.md of its own (the chaos run, the submit run) and
 * leaves every other figure alone: `section` replaces the one between `start` and `end`, or goes in
 * above the part `pnpm bench` rewrites the first time.
 */
export async function writeBenchmarksSection(
  path: string,
  start: string,
  end: string,
  lines: string[],
): Promise<void> {
  const section = [start, '', ...lines, end].join('\n');
  const existing = await readFile(path, 'utf8');
  const from = existing.indexOf(start);
  const to = existing.indexOf(end);
  let updated: string;
  if (from >= 0 && to > from) {
    updated = `${existing.slice(0, from)}${section}${existing.slice(to + end.length)}`;
  } else {
    const at = existing.indexOf(MARKER);
    updated =
      at >= 0 ? `${existing.slice(0, at)}${section}\n\n${existing.slice(at)}` : `${existing}\n${section}\n`;
  }
  await writeFile(path, updated);
}
