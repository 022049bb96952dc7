import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A TCP port that was free a moment ago, for servers that cannot bind port 0 themselves. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Where the kernel starts handing out source ports for outgoing connections. */
function ephemeralRangeStart(): number {
  try {
    const start = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    return Number.isInteger(start) && start > 2048 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free TCP port below the kernel's ephemeral range, for a server that must come back on the same
 * port after a restart. While it is down, a client reconnecting to a port inside that range may be
 * given that very port as its source port and connect to itself (TCP simultaneous open), and then
 * holds the port when the server starts again; ports below the range are never handed out so.
 */
export async function freePortBelowEphemeralRange(): Promise<number> {
  const end = ephemeralRangeStart();
  const start = Math.min(10_000, end - 1000);
  for (let tries = 0; tries < 100; tries++) {
    const port = start + Math.floor(Math.random() * (end - start));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${start} and ${end}`);
}
