import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { Registry } from 'prom-client';
import type { StatusDocument } from './status-document.ts';

export interface StatusServerOptions {
  port: number;
  host: string;
  status: () => StatusDocument;
  registry: Registry;
}

export interface StatusServer {
  /** Where operators reach it, e.g. http://127.0.0.1:8081. */
  url: string;
  close(): Promise<void>;
}

/** Bounds close(): a scrape stuck on a slow client must not hold up the shutdown. */
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * The autoscaler's operator surface: GET /status (the last decision, its reason, the signals it was
 * made from and the recent decisions), GET /metrics (Prometheus), GET /healthz (liveness).
 */
export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/status', async () => options.status());
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.registry.contentType);
    return options.registry.metrics();
  });
  try {
    await app.listen({ port: options.port, host: options.host });
  } catch (error) {
    await app.close();
    throw error;
  }
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://${clientHost(options.host)}:${port}`,
    close: async () => {
      const timer = setTimeout(() => app.server.closeAllConnections(), CLOSE_TIMEOUT_MS);
      timer.unref();
      try {
        await app.close();
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** A wildcard bind address is not somewhere a client can connect to; loopback is. */
function clientHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
