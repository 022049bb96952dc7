import { createServer } from 'node:http';
import { listenOnLoopback } from './listen-on-loopback.ts';

export interface AgentRequest {
  method: string;
  path: string;
  body: unknown;
  status: number;
}

export interface EcsAgentStandIn {
  /** What the task's ECS_AGENT_URI would be. */
  url: string;
  requests: AgentRequest[];
  /** The task's protection as the agent last set it. */
  protectionEnabled(): boolean;
  /** From now on, PUTs get `answer` instead of being applied (`ok` restores normal service). */
  answerWith(answer: 'ok' | 'throttled' | 'failure'): void;
  close(): Promise<void>;
}

const TASK_ARN = 'arn:aws:ecs:us-east-1:111122223333:task/ferry/0123456789abcdef';

/**
 * A local stand-in for the ECS agent's task scale-in protection endpoint,
 * `$ECS_AGENT_URI/task-protection/v1/state`: PUT `{ ProtectionEnabled, ExpiresInMinutes? }` answers
 * `{ protection: { ExpirationDate, ProtectionEnabled, TaskArn } }`; a throttled call answers 500 with
 * `{ error: { Code } }`, a refused one `{ failure: { Reason } }`, as the agent does.
 */
export async function startEcsAgentStandIn(): Promise<EcsAgentStandIn> {
  let enabled = false;
  let expiresAt: number | null = null;
  let mode: 'ok' | 'throttled' | 'failure' = 'ok';
  const requests: AgentRequest[] = [];

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: unknown = null;
      try {
        body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : null;
      } catch {
        body = 'not json';
      }
      const answer = (status: number, json: unknown): void => {
        requests.push({ method: req.method ?? '', path, body, status });
        const text = JSON.stringify(json);
        res.writeHead(status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      };
      if (path !== '/task-protection/v1/state') return answer(404, { error: { Code: 'NotFound' } });
      if (req.method === 'PUT') {
        const fields = (body ?? {}) as { ProtectionEnabled?: unknown; ExpiresInMinutes?: unknown };
        if (typeof fields.ProtectionEnabled !== 'boolean') {
          return answer(400, { error: { Code: 'InvalidParameterException' } });
        }
        if (mode === 'throttled')
          return answer(500, { error: { Arn: TASK_ARN, Code: 'ThrottlingException' } });
        if (mode === 'failure') return answer(200, { failure: { Arn: TASK_ARN, Reason: 'TASK_NOT_VALID' } });
        const minutes = typeof fields.ExpiresInMinutes === 'number' ? fields.ExpiresInMinutes : 120;
        enabled = fields.ProtectionEnabled;
        expiresAt = enabled ? Date.now() + minutes * 60_000 : null;
      } else if (req.method !== 'GET') {
        return answer(405, { error: { Code: 'MethodNotAllowed' } });
      }
      answer(200, {
        protection: {
          ExpirationDate: expiresAt === null ? null : new Date(expiresAt).toISOString(),
          ProtectionEnabled: enabled,
          TaskArn: TASK_ARN,
        },
      });
    });
  });
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url,
    requests,
    protectionEnabled: () => enabled,
    answerWith: (next) => {
      mode = next;
    },
    close: listening.close,
  };
}
