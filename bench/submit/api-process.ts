import { randomBytes } from 'node:crypto';
import { Child } from '../processes.ts';
import { freePort, REPO_ROOT } from '../workspace.ts';

export interface ApiProcess {
  url: string;
  apiKey: string;
  child: Child;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `ferry api` as a container runs it: its own process (so /proc/<pid>/stat is the API's CPU alone),
 * its default settings (LOG_LEVEL info: two log lines per request), one tenant's key. Resolves once
 * /healthz answers.
 */
export async function startApiProcess(redisUrl: string, queue: string): Promise<ApiProcess> {
  const port = await freePort();
  const apiKey = randomBytes(18).toString('base64url');
  const child = new Child('ferry api', process.execPath, ['packages/cli/src/main.ts', 'api'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      FERRY_QUEUE: queue,
      PORT: String(port),
      HOST: '127.0.0.1',
      FERRY_API_KEYS: `${apiKey}:bench`,
      FERRY_SECRET_KEY: randomBytes(32).toString('base64'),
      SOURCE_ALLOW_PRIVATE: '1',
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`${url}/healthz`)
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) return { url, apiKey, child };
    if (!child.running) throw new Error(`ferry api exited on start: ${child.output()}`);
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`ferry api did not answer /healthz in 30 s: ${child.output()}`);
    }
    await sleep(100);
  }
}
