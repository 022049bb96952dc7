import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianPackages, freePort } from '@ferry/local-stack';
import { waitUntil } from './three-services.ts';

export interface PrometheusQueryResult {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

export interface PrometheusServer {
  url: string;
  /** An instant query now, as Grafana's panels send them. */
  query(expression: string): Promise<PrometheusQueryResult>;
  close(): Promise<void>;
}

/**
 * A real Prometheus (Debian's package, installed when missing and running as root) scraping each
 * `/metrics` URL as its own job every second, with its storage in a temporary directory.
 */
export async function startPrometheus(targets: Record<string, string>): Promise<PrometheusServer> {
  const prometheus = ensureDebianPackages(['prometheus']).get('prometheus') as string;
  const dir = mkdtempSync(join(tmpdir(), 'ferry-prometheus-'));
  const jobs = Object.entries(targets).map(([job, target]) => {
    const url = new URL(target);
    return `  - job_name: ${job}\n    metrics_path: ${url.pathname}\n    static_configs:\n      - targets: ['${url.host}']`;
  });
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n${jobs.join('\n')}\n`,
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    prometheus,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const query = async (expression: string): Promise<PrometheusQueryResult> => {
    const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expression })}`);
    return (await response.json()) as PrometheusQueryResult;
  };
  try {
    await waitUntil(
      async () => (await fetch(`${url}/-/ready`).catch(() => null))?.status === 200,
      `prometheus to be ready:\n${log}`,
    );
  } catch (error) {
    await close();
    throw error;
  }
  return { url, query, close };
}
