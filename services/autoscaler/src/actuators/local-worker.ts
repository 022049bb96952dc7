import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export type LocalWorkerState = 'starting' | 'ready' | 'stopping';

/** How to run one worker process: `node packages/cli/src/main.ts worker` unless a test says otherwise. */
export interface WorkerCommand {
  file: string;
  args: string[];
}

export interface LocalWorkerOptions {
  id: string;
  command: WorkerCommand;
  /** The process's whole environment. */
  env: Record<string, string>;
  /** Each whole line the worker writes, on stdout (its JSON log) or stderr (a crash, say). */
  onLine: (line: string) => void;
}

const TAIL_LINES = 20;

/**
 * One worker process of the local pool. It counts as ready once it logs `worker ready` (it then takes
 * jobs), and stop() is what ECS does to a task: SIGTERM, time to drain (the worker hands its imports
 * back to the queue), then SIGKILL if it is still there.
 */
export class LocalWorker {
  readonly id: string;
  readonly startedAt = Date.now();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: ChildProcess;
  readonly #tail: string[] = [];
  #state: LocalWorkerState = 'starting';
  #stopped: Promise<void> | null = null;

  constructor(options: LocalWorkerOptions) {
    this.id = options.id;
    this.#child = spawn(options.command.file, options.command.args, {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => resolve({ code, signal }));
      // Spawning itself failed (no such file): there will be no 'exit'.
      this.#child.once('error', () => {
        if (this.#child.pid === undefined) resolve({ code: null, signal: null });
      });
    });
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        this.#tail.push(line);
        if (this.#tail.length > TAIL_LINES) this.#tail.shift();
        if (this.#state === 'starting' && isReadyLine(line)) this.#state = 'ready';
        options.onLine(line);
      });
    }
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get state(): LocalWorkerState {
    return this.#state;
  }

  /** Its last lines of output, for the log when it dies unasked. */
  tail(): string[] {
    return [...this.#tail];
  }

  /** SIGTERM, then SIGKILL after `timeoutMs` if the drain has not ended it; resolves once it has exited. */
  stop(timeoutMs: number): Promise<void> {
    this.#state = 'stopping';
    this.#stopped ??= (async () => {
      if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    })();
    return this.#stopped;
  }
}

function isReadyLine(line: string): boolean {
  if (!line.startsWith('{') || !line.includes('"worker ready"')) return false;
  try {
    return (JSON.parse(line) as { msg?: unknown }).msg === 'worker ready';
  } catch {
    return false;
  }
}
