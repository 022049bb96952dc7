import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Every party of a benchmark (source, sink, worker, rclone) is its own process, so that the CPU
 * and memory of each can be read from /proc and none pays for another. This module starts them,
 * measures them, and makes sure none outlives the run, also on Ctrl-C.
 */

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface CpuTimes {
  userS: number;
  sysS: number;
}

/** User and system CPU a live process has used so far (utime, stime of /proc/<pid>/stat). */
export function cpuTimes(pid: number): CpuTimes {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { userS: Number(fields[11]) / CLK_TCK, sysS: Number(fields[12]) / CLK_TCK };
}

/** What several processes have used together: a sink made of more than one (Ceph's daemons). */
export function totalCpuTimes(pids: readonly number[]): CpuTimes {
  const total = { userS: 0, sysS: 0 };
  for (const pid of pids) {
    const { userS, sysS } = cpuTimes(pid);
    total.userS += userS;
    total.sysS += sysS;
  }
  return total;
}

/** Rounded to the clock tick, so float noise does not pass for precision. */
export function cpuDelta(before: CpuTimes, after: CpuTimes): CpuTimes & { cpuS: number } {
  const ticks = (seconds: number) => Math.round(seconds * CLK_TCK) / CLK_TCK;
  const userS = ticks(after.userS - before.userS);
  const sysS = ticks(after.sysS - before.sysS);
  return { userS, sysS, cpuS: ticks(userS + sysS) };
}

/** Peak resident set size of a live process (VmHWM): its high-water mark since it started. */
export function peakRssBytes(pid: number): number {
  return statusKiB(pid, 'VmHWM') * 1024;
}

/** Resident set size now (VmRSS): an idle worker's baseline, to set the peak against. */
export function rssBytes(pid: number): number {
  return statusKiB(pid, 'VmRSS') * 1024;
}

function statusKiB(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : 0;
}

const live = new Set<Child>();
const cleanups: Array<() => Promise<void> | void> = [];
let cleaning: Promise<void> | null = null;

/**
 * A child in its own process group: Ctrl-C reaches only the orchestrator, which then stops the
 * children in order (a worker would otherwise begin its graceful drain of up to 90 s), and stopping
 * a group also reaches grandchildren (rclone under /usr/bin/time).
 */
export class Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;
  readonly #firstLine: Promise<string>;
  #tail = '';
  /** The stdout line being written, until its newline arrives. */
  #partialLine = '';
  #onFirstLine: ((line: string) => void) | null = null;
  readonly #lineListeners: Array<(line: string) => void> = [];

  constructor(
    name: string,
    command: string,
    args: string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv },
  ) {
    // Once stopping, a scenario still winding down must not start what nobody would stop.
    if (cleaning) throw new Error(`not starting ${name}: the benchmark is stopping`);
    this.name = name;
    this.proc = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', () => resolve());
      this.proc.once('error', (error) => {
        this.#keep(`${error.message}\n`);
        resolve();
      });
    });
    this.exited.then(() => live.delete(this));
    this.#firstLine = new Promise<string>((resolve, reject) => {
      this.#onFirstLine = resolve;
      this.exited.then(() => reject(new Error(`${this.name} exited early: ${this.output()}`)));
    });
    this.#firstLine.catch(() => {}); // read only by callers that want it
    this.proc.stdout?.on('data', (chunk: Buffer) => this.#onStdout(chunk.toString('utf8')));
    this.proc.stderr?.on('data', (chunk: Buffer) => this.#keep(chunk.toString('utf8')));
  }

  get pid(): number {
    if (this.proc.pid === undefined) throw new Error(`${this.name} did not start: ${this.output()}`);
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** The first line the child prints: where the sinks and the source announce their endpoint. */
  async firstLine(timeoutMs = 15_000): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.name} printed nothing: ${this.output()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.#firstLine, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Calls `listener` with each whole line the child prints to stdout from now on. */
  onLine(listener: (line: string) => void): void {
    this.#lineListeners.push(listener);
  }

  /** The last few KiB the child wrote, for error messages. */
  output(): string {
    return this.#tail.trim();
  }

  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves once the child has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.#signalGroup(signal);
    const timer = setTimeout(() => this.#signalGroup('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.#signalGroup('SIGKILL');
  }

  #signalGroup(signal: NodeJS.Signals): void {
    try {
      if (this.proc.pid !== undefined) process.kill(-this.proc.pid, signal);
    } catch {
      // Already gone.
    }
  }

  #onStdout(text: string): void {
    this.#keep(text);
    const lines = (this.#partialLine + text).split('\n');
    this.#partialLine = lines.pop() ?? '';
    for (const line of lines) {
      this.#onFirstLine?.(line.trim());
      this.#onFirstLine = null;
      for (const listener of this.#lineListeners) listener(line);
    }
  }

  #keep(text: string): void {
    this.#tail = (this.#tail + text).slice(-8192);
  }
}

/** Runs `fn` on exit, Ctrl-C included (last registered runs first): temp files, queues. */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** Stops every child and runs the cleanups, once. */
export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.allSettled([...live].map((child) => child.stop('SIGTERM', 3000)));
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (error) {
        console.error(`cleanup: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}

/** Ctrl-C and SIGTERM clean up and exit; a crash of the orchestrator still kills the children. */
export function installCleanupHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping benchmark processes and removing temp files`);
      cleanup().finally(() => process.exit(130));
    });
  }
  process.once('exit', () => {
    for (const child of live) child.kill();
  });
}
