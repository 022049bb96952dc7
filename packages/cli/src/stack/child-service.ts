import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_ENTRY } from '../paths.ts';

export interface ChildService {
  name: string;
  child: ChildProcess;
  /** SIGTERM, wait for the drain (bounded), then SIGKILL. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Runs `ferry <command>` as its own process, as a container would, with its JSON logs in
 * `<logDir>/<name>.log` so the terminal stays readable.
 */
export function spawnService(
  name: string,
  command: string,
  env: NodeJS.ProcessEnv,
  logDir: string,
): ChildService {
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, [CLI_ENTRY, command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    child,
    stop: async (timeoutMs = 100_000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      log.end();
    },
  };
}
