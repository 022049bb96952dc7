import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { type ApiDeps, buildApi } from './app.ts';
import { parseApiConfig } from './env.ts';

export const CLOSE_TIMEOUT_MS = 10_000;

export interface RunningApi {
  /** Where clients reach the API, e.g. http://127.0.0.1:8080. */
  url: string;
  app: FastifyInstance;
  /** Stops accepting, lets requests in flight finish (bounded), then releases Redis. */
  close(): Promise<void>;
}

/**
 * Parses the environment, builds the API and listens: what `ferry api` and `ferry up` run.
 * Installs no signal handlers; the process entry point owns those.
 */
export async function startApi(
  env: Record<string, string | undefined> = process.env,
  deps: ApiDeps = {},
): Promise<RunningApi> {
  const config = parseApiConfig(env);
  const app = buildApi(config, deps);
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    await app.close();
    throw error;
  }
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://${clientHost(config.HOST)}:${port}`, app, close: () => closeBounded(app) };
}

/** A wildcard bind address is not somewhere a client can connect to; loopback is. */
function clientHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Fastify's close waits for every request in flight. A stuck one must not hold up a deploy or a
 * Spot reclaim, so after `timeoutMs` the remaining connections are cut.
 */
export async function closeBounded(app: FastifyInstance, timeoutMs = CLOSE_TIMEOUT_MS): Promise<void> {
  const timer = setTimeout(() => {
    app.log.warn({ timeoutMs }, 'requests still in flight at the close deadline; cutting connections');
    app.server.closeAllConnections();
  }, timeoutMs);
  timer.unref();
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}
