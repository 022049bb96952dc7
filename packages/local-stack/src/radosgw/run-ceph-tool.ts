import { execFile } from 'node:child_process';
import { basename } from 'node:path';

export interface RunCephToolOptions {
  /** Kills the tool, e.g. when the daemon it talks to has died. */
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Runs a one-shot Ceph tool against the cluster whose ceph.conf is `conf` (never the system's) and
 * resolves with its stdout; its error names the command and ends with what it printed.
 */
export function runCephTool(
  binary: string,
  conf: string,
  args: string[],
  options: RunCephToolOptions = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      ['--conf', conf, ...args],
      { encoding: 'utf8', timeout: options.timeoutMs ?? 60_000, signal: options.signal },
      (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout);
          return;
        }
        const how =
          typeof error.code === 'number'
            ? `exit code ${error.code}`
            : error.killed
              ? `killed by ${error.signal}`
              : error.message;
        const printed = `${stdout}${stderr}`
          .split('\n')
          .filter((line) => line.trim())
          .slice(-20)
          .join('\n');
        reject(new Error(`${basename(binary)} ${args.join(' ')} failed (${how}):\n${printed}`));
      },
    );
  });
}
