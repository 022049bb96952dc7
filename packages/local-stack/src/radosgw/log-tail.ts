import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const TAIL_BYTES = 16 * 1024;

/** The last lines of a (possibly large, possibly missing) log file, for error messages. */
export function logTail(path: string, lines = 25): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return `(no ${path})`;
  }
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.min(size, TAIL_BYTES));
    readSync(fd, buffer, 0, buffer.length, size - buffer.length);
    const nonEmpty = buffer
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim());
    return `--- ${path} ---\n${nonEmpty.slice(-lines).join('\n')}`;
  } finally {
    closeSync(fd);
  }
}
