import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalAgentEndpoint {
  /** The ECS_AGENT_URI a local worker is started with. */
  uriFor(workerId: string): string;
  /** Whether the worker has scale-in protection on now (it holds imports, or did moments ago). */
  isProtected(workerId: string): boolean;
  forget(workerId: string): void;
  close(): Promise<void>;
}

const PATH = /^\/workers\/([A-Za-z0-9_-]{1,64})\/task-protection\/v1\/state$/;
const DEFAULT_EXPIRY_MINUTES = 120;

/**
 * The local pool's stand-in for the ECS agent's task scale-in protection endpoint: each local worker
 * gets its own `ECS_AGENT_URI` here and reports, exactly as on ECS, when it holds imports. The local
 * actuator then scales in only workers without protection, as ECS does. Loopback only.
 */
export async function startLocalAgentEndpoint(now: () => number = Date.now): Promise<LocalAgentEndpoint> {
  const protectedUntil = new Map<string, number>();

  const server = createServer((req, res) => {
    const match = PATH.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const workerId = match?.[1];
    if (!workerId) return answer(res, 404, { error: { Code: 'NotFound', Message: 'no such endpoint' } });
    if (req.method === 'GET') return answer(res, 200, protection(workerId));
    if (req.method !== 'PUT') return answer(res, 405, { error: { Code: 'MethodNotAllowed' } });
    readJson(req).then(
      (body) => {
        const fields = (body ?? {}) as { ProtectionEnabled?: unknown; ExpiresInMinutes?: unknown };
        const minutes = fields.ExpiresInMinutes ?? DEFAULT_EXPIRY_MINUTES;
        if (
          typeof fields.ProtectionEnabled !== 'boolean' ||
          typeof minutes !== 'number' ||
          !Number.isInteger(minutes) ||
          minutes < 1 ||
          minutes > 2880
        ) {
          return answer(res, 400, {
            error: {
              Code: 'InvalidParameterException',
              Message: 'expected ProtectionEnabled and ExpiresInMinutes 1-2880',
            },
          });
        }
        if (fields.ProtectionEnabled) protectedUntil.set(workerId, now() + minutes * 60_000);
        else protectedUntil.delete(workerId);
        answer(res, 200, protection(workerId));
      },
      () =>
        answer(res, 400, { error: { Code: 'InvalidParameterException', Message: 'expected a JSON body' } }),
    );
  });

  const isProtected = (workerId: string): boolean => (protectedUntil.get(workerId) ?? 0) > now();
  const protection = (workerId: string) => {
    const until = isProtected(workerId) ? protectedUntil.get(workerId) : undefined;
    return {
      protection: {
        ExpirationDate: until === undefined ? null : new Date(until).toISOString(),
        ProtectionEnabled: until !== undefined,
        TaskArn: `local:worker/${workerId}`,
      },
    };
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    uriFor: (workerId) => `${base}/workers/${workerId}`,
    isProtected,
    forget: (workerId) => {
      protectedUntil.delete(workerId);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 4096) throw new Error('body too large');
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
