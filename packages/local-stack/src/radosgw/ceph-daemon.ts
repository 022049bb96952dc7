import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ClusterFiles } from './cluster-files.ts';
import { findExecutable } from './find-executable.ts';
import { logTail } from './log-tail.ts';

/** How long a daemon may take to shut down cleanly on SIGTERM before it gets SIGKILL. */
const STOP_GRACE_MS = 5_000;

export interface CephDaemon {
  /** e.g. "ceph-osd (osd.0)". */
  label: string;
  /** The daemon's process id (setpriv execs into it, so no wrapper's); undefined if it could not be started. */
  pid: number | undefined;
  /** Settles once the process is gone, saying how ("exited with code 1"). */
  gone: Promise<string>;
  /** SIGTERM, then SIGKILL when it is still there after a few seconds. */
  stop(): Promise<void>;
  /** The end of its stdout/stderr and of its Ceph log, for error messages. */
  logTail(): string;
}

/** util-linux's setpriv; missing on some minimal systems, where only the exit hook below remains. */
const setpriv = findExecutable('setpriv');

/**
 * Runs a Ceph daemon of the cluster in `files`, in the foreground (-f) as a child of this process,
 * its output appended to a file in the cluster's log folder. It must not outlive this process: the
 * kernel SIGKILLs it when this process dies, however it dies (PR_SET_PDEATHSIG, which setpriv sets
 * before it execs the daemon), and an 'exit' hook covers systems without setpriv whenever Node
 * exits by itself.
 */
export function spawnCephDaemon(
  binary: string,
  args: string[],
  entity: string,
  files: ClusterFiles,
): CephDaemon {
  const label = `${basename(binary)} (${entity})`;
  const output = openSync(files.outputOf(entity), 'a');
  const daemonArgs = ['--conf', files.conf, '-f', ...args];
  const [command, commandArgs] = setpriv
    ? [setpriv, ['--pdeathsig', 'SIGKILL', '--', binary, ...daemonArgs]]
    : [binary, daemonArgs];
  const child = spawn(command, commandArgs, { stdio: ['ignore', output, output] });
  closeSync(output);

  let goneHow: string | null = null;
  const gone = new Promise<string>((resolve) => {
    const settle = (how: string) => {
      goneHow ??= how;
      resolve(goneHow);
    };
    child.once('error', (error) => settle(`could not be started: ${error.message}`));
    child.once('exit', (code, signal) =>
      settle(signal ? `was killed by ${signal}` : `exited with code ${code}`),
    );
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  void gone.then(() => process.off('exit', killOnExit));

  return {
    label,
    pid: child.pid,
    gone,
    stop: async () => {
      if (goneHow !== null) return;
      child.kill('SIGTERM');
      const stopped = await Promise.race([
        gone.then(() => true),
        delay(STOP_GRACE_MS, false, { ref: false }),
      ]);
      if (!stopped) {
        child.kill('SIGKILL');
        await gone;
      }
    },
    logTail: () => `${logTail(files.outputOf(entity))}\n${logTail(files.logOf(entity))}`,
  };
}
