import type { Logger } from '@ferry/shared';

// Not `import ... from 'node:http'`, which loads Node's bundled undici (see shared's s3.ts).
const { request } = process.getBuiltinModule('node:http');

export interface TaskProtectionOptions {
  /** `$ECS_AGENT_URI`: the ECS agent's endpoint for this task (the local autoscaler's for its workers). */
  agentUri: string;
  logger: Logger;
  /** How long one protection lasts unless renewed (ECS allows 1-2880). Bounds a hung worker's hold. */
  expiresInMinutes?: number;
  /** While busy, protection is renewed this long after it was last set; default half the expiry. */
  renewAfterMs?: number;
  /** Idle this long before protection is turned off: imports often follow one another. */
  releaseDelayMs?: number;
  /** First retry after a failed request; doubled per failure up to a minute. */
  retryDelayMs?: number;
  requestTimeoutMs?: number;
}

export interface TaskProtection {
  /** Reports how many imports the worker runs now; call on every change. */
  busy(count: number): void;
  /** Stops renewing and retrying, and waits for a request in flight. */
  close(): Promise<void>;
}

const STATE_PATH = 'task-protection/v1/state';
const MAX_RETRY_DELAY_MS = 60_000;

/**
 * ECS task scale-in protection for a worker: on while it holds imports, so neither the service's
 * scale-in nor a deployment stops it mid-transfer; off again once it has been idle for
 * `releaseDelayMs`. Protection is asked for at once when the first import starts and renewed before
 * it lapses. One request at a time; a failing agent is logged (once per outage) and retried with
 * backoff, never allowed to stop the worker. When the process exits, the task ends with it, so
 * close() does not bother to turn protection off.
 */
export function startTaskProtection(options: TaskProtectionOptions): TaskProtection {
  const expiresInMinutes = options.expiresInMinutes ?? 60;
  const renewAfterMs = options.renewAfterMs ?? (expiresInMinutes * 60_000) / 2;
  const releaseDelayMs = options.releaseDelayMs ?? 5_000;
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
  const url = new URL(STATE_PATH, options.agentUri.endsWith('/') ? options.agentUri : `${options.agentUri}/`);
  const { logger } = options;
  const closed = new AbortController();

  let wanted = false;
  /** What the agent last confirmed; null after a failed request (it may or may not have applied). */
  let confirmed: boolean | null = false;
  let setAt = 0;
  let failures = 0;
  let inFlight: Promise<void> | null = null;
  let again = false;
  let wake: NodeJS.Timeout | undefined;
  let release: NodeJS.Timeout | undefined;

  const schedule = (delayMs: number): void => {
    clearTimeout(wake);
    if (closed.signal.aborted) return;
    wake = setTimeout(sync, Math.max(0, delayMs));
    wake.unref();
  };

  function sync(): void {
    if (closed.signal.aborted) return;
    if (inFlight) {
      again = true;
      return;
    }
    const renewDue = wanted && confirmed === true && Date.now() - setAt >= renewAfterMs;
    if (confirmed === wanted && !renewDue) {
      if (wanted) schedule(setAt + renewAfterMs - Date.now());
      return;
    }
    const enable = wanted;
    const body = enable
      ? { ProtectionEnabled: true, ExpiresInMinutes: expiresInMinutes }
      : { ProtectionEnabled: false };
    inFlight = putState(url, body, requestTimeoutMs, closed.signal)
      .then(
        () => {
          confirmed = enable;
          setAt = Date.now();
          if (failures > 0) logger.info('task protection: the ECS agent answers again');
          failures = 0;
          logger.debug({ protectionEnabled: enable }, 'task protection set');
        },
        (error: unknown) => {
          if (closed.signal.aborted) return;
          confirmed = null;
          // Said once per outage, not on every retry.
          if (failures === 0)
            logger.warn({ err: error, protectionEnabled: enable }, 'cannot set task protection');
          failures++;
        },
      )
      .finally(() => {
        inFlight = null;
        if (again || failures === 0) {
          again = false;
          sync();
        } else {
          schedule(Math.min(retryDelayMs * 2 ** (failures - 1), MAX_RETRY_DELAY_MS));
        }
      });
  }

  return {
    busy: (count) => {
      if (closed.signal.aborted) return;
      if (count > 0) {
        clearTimeout(release);
        release = undefined;
        if (!wanted) {
          wanted = true;
          sync();
        }
      } else if (wanted && release === undefined) {
        release = setTimeout(() => {
          release = undefined;
          wanted = false;
          sync();
        }, releaseDelayMs);
        release.unref();
      }
    },
    close: async () => {
      closed.abort();
      clearTimeout(wake);
      clearTimeout(release);
      await inFlight;
    },
  };
}

/**
 * One PUT to the agent on a fresh connection (a few an hour: pooling buys nothing). The agent answers
 * `{ protection: {...} }` when it applied the change, `{ failure }` or `{ error }` when ECS refused it.
 */
function putState(url: URL, body: object, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        agent: false,
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > 64 * 1024) req.destroy(new Error('ECS agent answer too large'));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const answer = parseAnswer(Buffer.concat(chunks).toString('utf8'));
          if (status >= 200 && status < 300 && answer.protection) resolve();
          else
            reject(new Error(`ECS agent answered ${status}${answer.problem ? `: ${answer.problem}` : ''}`));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function parseAnswer(text: string): { protection: boolean; problem: string | undefined } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { protection: false, problem: undefined };
  }
  const answer = (parsed ?? {}) as {
    protection?: unknown;
    failure?: { Reason?: unknown };
    error?: { Code?: unknown };
  };
  const problem = answer.failure?.Reason ?? answer.error?.Code;
  return {
    protection: typeof answer.protection === 'object' && answer.protection !== null,
    problem: typeof problem === 'string' ? problem : undefined,
  };
}
