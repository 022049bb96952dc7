import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TaskProtectionAgent {
  /** Serves `taskId`'s protection from now on; answers the ECS_AGENT_URI its task is started with. */
  register(taskId: string, taskArn: string): string;
  /** Whether the task has scale-in protection on now (set, and not expired). */
  isProtected(taskId: string): boolean;
  /** When the protection lapses, ms since the epoch; null when it is off. */
  protectedUntil(taskId: string): number | null;
  forget(taskId: string): void;
  close(): Promise<void>;
}

const PATH = /^\/api\/([A-Za-z0-9-]{1,64})\/task-protection\/v1\/state$/;
/** ECS's default and bounds for ExpiresInMinutes. */
const DEFAULT_EXPIRY_MINUTES = 120;
const MAX_EXPIRY_MINUTES = 2880;

/**
 * The ECS agent's task scale-in protection endpoint for the stand-in's tasks: each task gets its own
 * `ECS_AGENT_URI` (`<base>/api/<task id>`, as on ECS) and `GET`/`PUT {ECS_AGENT_URI}/task-protection/v1/state`
 * answer as the agent does: `{ protection: { ExpirationDate, ProtectionEnabled, TaskArn } }`, or
 * `{ error: { Arn, Code, Message } }`. Protection lapses after ExpiresInMinutes (default 120).
 */
export async function startTaskProtectionAgent(now: () => number = Date.now): Promise<TaskProtectionAgent> {
  const tasks = new Map<string, { arn: string; until: number | null }>();
  let base = '';

  const until = (taskId: string): number | null => {
    const expiry = tasks.get(taskId)?.until ?? null;
    return expiry !== null && expiry > now() ? expiry : null;
  };

  const protection = (taskId: string, arn: string) => {
    const expiry = until(taskId);
    return {
      protection: {
        ...(expiry === null ? {} : { ExpirationDate: new Date(expiry).toISOString() }),
        ProtectionEnabled: expiry !== null,
        TaskArn: arn,
      },
    };
  };

  const server = createServer((req, res) => {
    const taskId = PATH.exec(new URL(req.url ?? '/', 'http://x').pathname)?.[1];
    const task = taskId === undefined ? undefined : tasks.get(taskId);
    if (taskId === undefined || !task) {
      return answer(res, 404, { error: { Code: 'ResourceNotFoundException', Message: 'no such task' } });
    }
    const refuse = (message: string) =>
      answer(res, 400, { error: { Arn: task.arn, Code: 'InvalidParameterException', Message: message } });
    if (req.method === 'GET') return answer(res, 200, protection(taskId, task.arn));
    if (req.method !== 'PUT') return answer(res, 405, { error: { Arn: task.arn, Code: 'MethodNotAllowed' } });
    readJson(req).then(
      (body) => {
        const fields = (body ?? {}) as { ProtectionEnabled?: unknown; ExpiresInMinutes?: unknown };
        const minutes = fields.ExpiresInMinutes ?? DEFAULT_EXPIRY_MINUTES;
        if (typeof fields.ProtectionEnabled !== 'boolean')
          return refuse('ProtectionEnabled must be a boolean');
        if (
          typeof minutes !== 'number' ||
          !Number.isInteger(minutes) ||
          minutes < 1 ||
          minutes > MAX_EXPIRY_MINUTES
        ) {
          return refuse(`ExpiresInMinutes must be a whole number from 1 to ${MAX_EXPIRY_MINUTES}`);
        }
        task.until = fields.ProtectionEnabled ? now() + minutes * 60_000 : null;
        answer(res, 200, protection(taskId, task.arn));
      },
      () => refuse('expected a JSON body'),
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    register: (taskId, taskArn) => {
      tasks.set(taskId, { arn: taskArn, until: null });
      return `${base}/api/${taskId}`;
    },
    isProtected: (taskId) => until(taskId) !== null,
    protectedUntil: until,
    forget: (taskId) => {
      tasks.delete(taskId);
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
