import { readFile } from 'node:fs/promises';

/** Linux's USER_HZ: /proc reports CPU time in these ticks, 100 a second on every mainstream platform. */
const CLOCK_TICKS_PER_S = 100;

export interface ProcessUsage {
  /** User plus system CPU time the process has used so far. */
  cpuSeconds: number;
  rssBytes: number;
}

/**
 * A process's CPU time and resident memory from /proc/<pid>/stat and status; null once it is gone.
 * The same reading as the autoscaler's local signals (which cannot share it: this package is not a
 * dependency of the services).
 */
export async function readProcessUsage(pid: number): Promise<ProcessUsage | null> {
  try {
    const [stat, status] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
    ]);
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    const ticks = Number(fields[11]) + Number(fields[12]);
    const rssKiB = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
    if (!Number.isFinite(ticks) || !Number.isFinite(rssKiB)) return null;
    return { cpuSeconds: ticks / CLOCK_TICKS_PER_S, rssBytes: rssKiB * 1024 };
  } catch {
    return null;
  }
}
