import { freePort } from '@ferry/local-stack';
import { spawnFerry } from './ferry-process.ts';

export interface ApiReply {
  status: number;
  body: unknown;
}

export interface ApiProcess {
  url: string;
  /** A JSON request with `key` as the bearer key. */
  call(key: string, method: string, path: string, body?: unknown): Promise<ApiReply>;
  /** SIGTERM, then waits for the exit (SIGKILL if the graceful close hangs). */
  stop(): Promise<void>;
  /** SIGKILL at once, as a lost host or the OOM killer would; waits for the exit. */
  kill(): Promise<void>;
  running(): boolean;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `ferry api` as its own process, as a container runs it, with exactly `env` (plus PATH and PORT):
 * for tests that need the real API in front of an in-process worker. Resolves once /readyz answers.
 */
export async function spawnApiProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<ApiProcess> {
  const port = await freePort();
  const { child, exited, output, running } = spawnFerry('api', {
    ...env,
    PORT: String(port),
    HOST: '127.0.0.1',
  });
  const stop = async () => {
    if (running()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!running()) throw new Error(`the API exited before it was ready:\n${output()}`);
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the API was not ready in ${timeoutMs} ms:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    url,
    async call(key, method, path, body) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: await response.json() };
    },
    stop,
    running,
    exited,
    async kill() {
      if (!running()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
