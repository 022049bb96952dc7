import { fileURLToPath } from 'node:url';
import type { Logger } from '@ferry/shared';
import type { Actuator } from './actuator.ts';
import { type LocalAgentEndpoint, startLocalAgentEndpoint } from './local-agent-endpoint.ts';
import { LocalWorker, type LocalWorkerState, type WorkerCommand } from './local-worker.ts';

/** `ferry worker`, as `pnpm ferry worker` runs it. */
const CLI_MAIN = fileURLToPath(new URL('../../../../packages/cli/src/main.ts', import.meta.url));
export const FERRY_WORKER_COMMAND: WorkerCommand = { file: process.execPath, args: [CLI_MAIN, 'worker'] };

/** The worker drains for up to its DRAIN_TIMEOUT_S (90 s by default) before it exits by itself. */
const DEFAULT_STOP_TIMEOUT_MS = 100_000;
/** Workers that die before they are ready (a bad config, say) are started again after 1, 2, 4... s. */
const MAX_RESTART_DELAY_MS = 60_000;

const LOG_LEVELS: Record<string, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

export interface LocalActuatorOptions {
  /** The workers' environment (REDIS_URL, FERRY_QUEUE, S3_..., credentials): the autoscaler's own. */
  env: Record<string, string | undefined>;
  /** WORKER_CONCURRENCY each worker is started with. */
  workerConcurrency: number;
  logger: Logger;
  /** The workers' log lines at or above this level are passed on to `output`. */
  logLevel: string;
  output?: NodeJS.WritableStream;
  command?: WorkerCommand;
  /** SIGKILL a stopped worker that has not finished draining after this long. */
  stopTimeoutMs?: number;
  /** Milliseconds since the epoch, for the restart backoff. */
  now?: () => number;
}

export interface LocalWorkerView {
  id: string;
  pid: number | undefined;
  state: LocalWorkerState;
  /** Scale-in protection on: it holds imports. */
  busy: boolean;
  startedAt: number;
}

export interface LocalActuator extends Actuator {
  readonly mode: 'local';
  workers(): LocalWorkerView[];
}

/**
 * A pool of real `ferry worker` processes on this machine. Scaling out starts processes; scaling in
 * stops the ones that hold no imports (not started yet, or without scale-in protection, which each
 * worker sets through its own stand-in agent endpoint exactly as on ECS) and leaves busy ones running
 * until a later tick finds them idle: a busy worker is never stopped to scale in. A stopped worker
 * gets SIGTERM and drains in the background; close() stops them all and waits for every drain.
 */
export async function startLocalActuator(options: LocalActuatorOptions): Promise<LocalActuator> {
  const { logger } = options;
  const command = options.command ?? FERRY_WORKER_COMMAND;
  const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  const output = options.output ?? process.stdout;
  const now = options.now ?? Date.now;
  const threshold = LOG_LEVELS[options.logLevel] ?? LOG_LEVELS.info ?? 30;
  // The worker logs its readiness at info; a quieter level would hide it from us.
  const asked = options.env.LOG_LEVEL ?? 'info';
  const workerLevel = (LOG_LEVELS[asked] ?? 30) > 30 ? 'info' : asked;
  const agent: LocalAgentEndpoint = await startLocalAgentEndpoint();
  const pool = new Map<string, LocalWorker>();
  const stopping = new Set<Promise<void>>();
  let sequence = 0;
  let closed = false;
  let failedStarts = 0;
  let nextStartAt = 0;

  const forward = (line: string): void => {
    if (threshold === Number.POSITIVE_INFINITY) return;
    const level = line.startsWith('{') ? logLevelOf(line) : undefined;
    if (level === undefined || level >= threshold) output.write(`${line}\n`);
  };

  const spawnOne = (): void => {
    sequence++;
    const id = `w${sequence}`;
    const worker = new LocalWorker({
      id,
      command,
      env: definedOnly({
        ...options.env,
        WORKER_CONCURRENCY: String(options.workerConcurrency),
        // Workers on one host cannot share METRICS_PORT: each takes a free port (it logs which).
        METRICS_PORT: '0',
        ECS_AGENT_URI: agent.uriFor(id),
        LOG_LEVEL: workerLevel,
      }),
      onLine: forward,
    });
    pool.set(id, worker);
    logger.info({ worker: id, pid: worker.pid }, 'worker started');
    void worker.exited.then(({ code, signal }) => {
      pool.delete(id);
      agent.forget(id);
      if (worker.state === 'stopping') {
        logger.info({ worker: id, code, signal }, 'worker stopped');
        return;
      }
      logger.warn({ worker: id, code, signal, output: worker.tail() }, 'worker exited unasked');
      if (worker.state === 'starting') {
        failedStarts++;
        nextStartAt = now() + Math.min(1000 * 2 ** (failedStarts - 1), MAX_RESTART_DELAY_MS);
      }
    });
  };

  const stopOne = (worker: LocalWorker): void => {
    logger.info({ worker: worker.id, pid: worker.pid }, 'stopping worker');
    const stopped = worker.stop(stopTimeoutMs);
    stopping.add(stopped);
    void stopped.finally(() => stopping.delete(stopped));
  };

  const live = (): LocalWorker[] => [...pool.values()].filter((worker) => worker.state !== 'stopping');

  return {
    mode: 'local',
    current: async () => live().length,
    apply: async (desired) => {
      if (closed) return;
      const running = live();
      if (running.some((worker) => worker.state === 'ready')) failedStarts = 0;
      if (running.length < desired && now() >= nextStartAt) {
        for (let i = running.length; i < desired; i++) spawnOne();
      }
      const excess = running.length - desired;
      if (excess <= 0) return;
      // Not started yet first (they hold nothing), then idle ones; newest first within each.
      const idle = running
        .filter((worker) => !agent.isProtected(worker.id))
        .sort((a, b) => rank(a) - rank(b) || b.startedAt - a.startedAt);
      for (const worker of idle.slice(0, excess)) stopOne(worker);
      if (idle.length < excess) {
        logger.info({ busy: excess - idle.length }, 'busy workers kept running until they are idle');
      }
    },
    workers: () =>
      [...pool.values()].map((worker) => ({
        id: worker.id,
        pid: worker.pid,
        state: worker.state,
        busy: agent.isProtected(worker.id),
        startedAt: worker.startedAt,
      })),
    close: async () => {
      closed = true;
      for (const worker of live()) stopOne(worker);
      await Promise.all([...stopping]);
      await agent.close();
    },
  };
}

function rank(worker: LocalWorker): number {
  return worker.state === 'starting' ? 0 : 1;
}

function logLevelOf(line: string): number | undefined {
  try {
    const level = (JSON.parse(line) as { level?: unknown }).level;
    return typeof level === 'number' ? level : undefined;
  } catch {
    return undefined;
  }
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
