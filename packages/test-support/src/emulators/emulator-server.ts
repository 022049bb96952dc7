import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EmulatorServer {
  /** Origin the server answers on, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Stops listening and cuts every open connection, downloads in flight included. */
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
}

/** A loopback HTTP server; a handler that throws answers 500, or cuts the answer it had begun. */
export async function startEmulatorServer(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  options: ListenOptions = {},
): Promise<EmulatorServer> {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`emulator failure: ${message}`);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
