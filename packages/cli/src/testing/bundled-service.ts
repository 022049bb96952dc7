import { spawn } from 'node:child_process';
import { imageNodeArguments } from './image-entrypoint.ts';

export interface BundledService {
  /** Its stdout and stderr so far (JSON log lines), for a failing test to show. */
  output(): string;
  /** Resolves once `ready` says so; rejects if the process exits first or `timeoutMs` passes. */
  until(ready: (output: string) => boolean | Promise<boolean>, timeoutMs: number): Promise<void>;
  /** Resolves with its exit code once it has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, as ECS stops a task; then as `exited`. */
  stop(): Promise<number | null>;
  /** SIGKILL if it still runs: for afterAll. */
  kill(): void;
}

/**
 * `ferry <command>` from a production bundle as the image starts it: its ENTRYPOINT's node arguments
 * (see imageNodeArguments), working directory in the bundle, exactly `env` (plus PATH). Node's type
 * stripping is off, so the process fails should anything it loads still be TypeScript.
 */
export function startBundledService(
  bundleDir: string,
  command: string,
  env: Record<string, string>,
): BundledService {
  const child = spawn(process.execPath, ['--no-strip-types', ...imageNodeArguments(bundleDir), command], {
    cwd: bundleDir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const running = () => child.exitCode === null && child.signalCode === null;

  return {
    output: () => output,
    exited,
    async until(ready, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!(await ready(output))) {
        if (!running()) throw new Error(`ferry ${command} exited before it was ready:\n${output}`);
        if (Date.now() > deadline)
          throw new Error(`ferry ${command} not ready in ${timeoutMs} ms:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      if (running()) child.kill('SIGTERM');
      return exited;
    },
    kill() {
      if (running()) child.kill('SIGKILL');
    },
  };
}
