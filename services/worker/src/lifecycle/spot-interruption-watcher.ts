import type { Logger } from '@ferry/shared';

// Not `import ... from 'node:http'`, which loads Node's bundled undici (see shared's s3.ts).
const { request } = process.getBuiltinModule('node:http');

/** The body of `/latest/meta-data/spot/instance-action`: what EC2 will do to the instance, and when. */
export interface SpotInterruptionNotice {
  /** `terminate`, `stop` or `hibernate`. */
  action: string;
  /** ISO 8601, about two minutes after the notice. */
  time: string;
}

export interface SpotWatcherOptions {
  /** Instance metadata service base URL, e.g. http://169.254.169.254. */
  imdsUrl: string;
  /** Called once, with the first notice seen; the watcher stops polling then. */
  onNotice: (notice: SpotInterruptionNotice) => void;
  logger: Logger;
  /** Between the end of one poll and the start of the next. */
  intervalMs?: number;
  /** Per request: off EC2 (or with IMDS blocked) the address does not answer at all. */
  requestTimeoutMs?: number;
  /** Lifetime asked for each IMDSv2 session token. */
  tokenTtlS?: number;
  /** Milliseconds since the epoch, for the token's expiry. */
  now?: () => number;
}

export interface SpotInterruptionWatcher {
  /** Resolves with the notice once one is seen; never rejects. */
  readonly notice: Promise<SpotInterruptionNotice>;
  /** Stops polling and waits for a poll in progress to end. */
  close(): Promise<void>;
}

const TOKEN_PATH = '/latest/api/token';
const INSTANCE_ACTION_PATH = '/latest/meta-data/spot/instance-action';

/**
 * Polls the EC2 instance metadata service (IMDSv2: a session token from PUT /latest/api/token, sent
 * with every read) for a Spot interruption notice. 404 means none; 200 carries `{ action, time }`,
 * about two minutes before EC2 reclaims the instance. An unreachable or failing IMDS is logged and
 * polled again: the watcher never stops the worker for its own trouble.
 *
 * ECS and Fargate Spot tasks need none of this: they get SIGTERM, which drains the same way.
 */
export function startSpotInterruptionWatcher(options: SpotWatcherOptions): SpotInterruptionWatcher {
  const intervalMs = options.intervalMs ?? 5_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 2_000;
  const tokenTtlS = options.tokenTtlS ?? 21_600;
  const now = options.now ?? Date.now;
  const { logger } = options;
  const closed = new AbortController();
  let token: { value: string; renewAt: number } | null = null;
  let failing = false;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | null = null;
  let resolveNotice: (notice: SpotInterruptionNotice) => void = () => {};
  const notice = new Promise<SpotInterruptionNotice>((resolve) => {
    resolveNotice = resolve;
  });

  const imds = (method: string, path: string, headers: Record<string, string>) =>
    imdsRequest(new URL(path, options.imdsUrl), method, headers, requestTimeoutMs, closed.signal);

  const sessionToken = async (): Promise<string> => {
    if (token && now() < token.renewAt) return token.value;
    const response = await imds('PUT', TOKEN_PATH, {
      'x-aws-ec2-metadata-token-ttl-seconds': String(tokenTtlS),
    });
    if (response.status !== 200 || !response.body) {
      throw new Error(`IMDS token request answered ${response.status}`);
    }
    // Renewed well before it lapses, so a poll never goes out with a token about to expire.
    token = { value: response.body.trim(), renewAt: now() + (tokenTtlS * 1000) / 2 };
    return token.value;
  };

  const instanceAction = async (): Promise<SpotInterruptionNotice | null> => {
    for (let tryNumber = 1; ; tryNumber++) {
      const response = await imds('GET', INSTANCE_ACTION_PATH, {
        'x-aws-ec2-metadata-token': await sessionToken(),
      });
      if (response.status === 404) return null;
      if (response.status === 401 && tryNumber === 1) {
        token = null; // expired or revoked (IMDS restarted): get a new one and ask again
        continue;
      }
      if (response.status !== 200) throw new Error(`IMDS instance-action answered ${response.status}`);
      return parseNotice(response.body);
    }
  };

  const poll = async (): Promise<void> => {
    try {
      const found = await instanceAction();
      if (failing) logger.info('instance metadata service answers again');
      failing = false;
      if (found && !closed.signal.aborted) {
        closed.abort();
        logger.warn({ notice: found }, 'spot interruption notice');
        resolveNotice(found);
        options.onNotice(found);
      }
    } catch (error) {
      if (closed.signal.aborted) return;
      // Said once per outage, not every few seconds.
      if (!failing) logger.warn({ err: error }, 'cannot read spot interruption status from IMDS');
      failing = true;
    }
  };

  const schedule = (delayMs: number): void => {
    if (closed.signal.aborted) return;
    timer = setTimeout(() => {
      polling = poll().finally(() => {
        polling = null;
        schedule(intervalMs);
      });
    }, delayMs);
    timer.unref();
  };
  schedule(0);

  return {
    notice,
    close: async () => {
      closed.abort();
      clearTimeout(timer);
      await polling;
    },
  };
}

function parseNotice(body: string): SpotInterruptionNotice {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = null;
  }
  const fields = (parsed ?? {}) as { action?: unknown; time?: unknown };
  // A 200 is a notice even when its body is odd: draining for nothing costs far less than not draining.
  return {
    action: typeof fields.action === 'string' ? fields.action : 'unknown',
    time: typeof fields.time === 'string' ? fields.time : '',
  };
}

/** One IMDS request on a fresh connection (two every few seconds: pooling buys nothing). */
function imdsRequest(
  url: URL,
  method: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, headers, agent: false, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          // IMDS answers are tiny; anything big is not IMDS.
          if (size > 64 * 1024) req.destroy(new Error('IMDS answer too large'));
          else chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
