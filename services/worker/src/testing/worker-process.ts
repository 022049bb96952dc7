import type { ChildProcess } from 'node:child_process';
import { spawnFerry } from './ferry-process.ts';

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Resolves when the worker logs that it takes jobs; rejects if it exits first. */
  readonly ready: Promise<void>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Its stdout and stderr so far (JSON log lines), for a failing test to show. */
  output(): string;
  /** Lines of its log whose `msg` is `msg`. */
  logged(msg: string): Array<Record<string, unknown>>;
  /** Ends it (SIGKILL) if it still runs; for afterAll/afterEach. */
  stop(): Promise<void>;
}

/**
 * `ferry worker` as its own process, as a container runs it, with exactly `env` (plus PATH): the real
 * thing to SIGKILL or SIGTERM in a test.
 */
export function spawnWorkerProcess(env: Record<string, string>): WorkerProcess {
  // At least info: readiness is read from the log.
  const ferry = spawnFerry('worker', {
    ...env,
    LOG_LEVEL: verbose(env.LOG_LEVEL) ? env.LOG_LEVEL : 'info',
  });
  const { child, exited, output: text } = ferry;
  const logged = (msg: string): Array<Record<string, unknown>> =>
    text()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          return {};
        }
      })
      .filter((line) => line.msg === msg);
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (logged('worker ready').length > 0) {
        clearInterval(timer);
        resolve();
      }
    }, 25);
    void exited.then(({ code, signal }) => {
      clearInterval(timer);
      reject(new Error(`worker exited (${code ?? signal}) before it was ready:\n${text()}`));
    });
  });
  ready.catch(() => {});
  return {
    child,
    ready,
    exited,
    output: text,
    logged,
    stop: async () => {
      if (ferry.running()) child.kill('SIGKILL');
      await exited;
    },
  };
}

function verbose(level: string | undefined): level is 'debug' | 'trace' {
  return level === 'debug' || level === 'trace';
}
