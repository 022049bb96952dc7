import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import type { ResolvedTaskDefinition } from './task-definition.ts';

/** The lifecycle states a Fargate task shows, less the provisioning steps a local process has not got. */
export type TaskStatus = 'PENDING' | 'RUNNING' | 'STOPPING' | 'STOPPED';
/** Why a task stopped, as DescribeTasks says it. */
export type TaskStopCode = 'ServiceSchedulerInitiated' | 'UserInitiated' | 'EssentialContainerExited';

export interface EcsTaskOptions {
  id: string;
  arn: string;
  definition: ResolvedTaskDefinition;
  /** Its ECS_AGENT_URI (the task protection endpoint). */
  agentUri: string;
  /** Gets each whole line the task writes (stdout and stderr); ended once the task has exited. */
  output?: NodeJS.WritableStream;
  now: () => number;
}

/**
 * One task: a real process running the task definition's command with its environment. It is
 * PENDING until the process has spawned, RUNNING until it is stopped or exits, STOPPING from SIGTERM
 * (SIGKILL after the definition's stopTimeout) until the process has exited and its output is
 * flushed, STOPPED after.
 */
export class EcsTask {
  readonly id: string;
  readonly arn: string;
  readonly createdAt: number;
  /** Resolves once the process has exited (or failed to spawn) and the task shows STOPPED. */
  readonly exited: Promise<void>;
  startedAt: number | null = null;
  stoppingAt: number | null = null;
  stoppedAt: number | null = null;
  stopCode: TaskStopCode | null = null;
  stoppedReason: string | null = null;
  exitCode: number | null = null;
  readonly #child: ChildProcess;
  readonly #stopTimeoutMs: number;
  readonly #now: () => number;
  #lastStatus: TaskStatus = 'PENDING';
  #killTimer: NodeJS.Timeout | undefined;

  constructor(options: EcsTaskOptions) {
    this.id = options.id;
    this.arn = options.arn;
    this.#now = options.now;
    this.createdAt = options.now();
    this.#stopTimeoutMs = options.definition.stopTimeoutS * 1000;
    const { output } = options;
    this.#child = spawn(options.definition.command, options.definition.args, {
      env: { ...options.definition.environment, ECS_AGENT_URI: options.agentUri },
      stdio: ['ignore', output ? 'pipe' : 'ignore', output ? 'pipe' : 'ignore'],
    });
    this.#child.once('spawn', () => {
      if (this.#lastStatus !== 'PENDING') return;
      this.#lastStatus = 'RUNNING';
      this.startedAt = this.#now();
    });
    const streams = [this.#child.stdout, this.#child.stderr].filter((stream) => stream !== null);
    const drained = streams.map(
      (stream) =>
        new Promise<void>((resolve) => {
          const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
          lines.on('line', (line) => output?.write(`${line}\n`));
          lines.once('close', () => resolve());
        }),
    );
    const processEnded = new Promise<void>((resolve) => {
      this.#child.once('exit', (code, signal) => {
        // As a container runtime reports it: 128 + the signal's number for a killed process.
        this.exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
        resolve();
      });
      // Spawning itself failed (no such file): there will be no 'exit'.
      this.#child.once('error', () => {
        if (this.#child.pid === undefined) resolve();
      });
    });
    this.exited = processEnded.then(async () => {
      clearTimeout(this.#killTimer);
      this.#lastStatus = 'STOPPING';
      this.stoppedAt = this.#now();
      if (this.stopCode === null) {
        this.stopCode = 'EssentialContainerExited';
        this.stoppedReason = 'Essential container in task exited';
      }
      // Its output read to the end and flushed first: by the time it shows STOPPED, its log is whole.
      await Promise.all(drained);
      await new Promise<void>((resolve) => (output ? output.end(resolve) : resolve()));
      this.#lastStatus = 'STOPPED';
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get lastStatus(): TaskStatus {
    return this.#lastStatus;
  }

  /** RUNNING until someone asked it to stop (or it stopped by itself). */
  get desiredStatus(): 'RUNNING' | 'STOPPED' {
    return this.stopCode === null ? 'RUNNING' : 'STOPPED';
  }

  /** SIGTERM now, SIGKILL after the stop timeout if it is still there; resolves once it has exited. */
  stop(code: TaskStopCode, reason: string): Promise<void> {
    if (this.stopCode !== null) return this.exited;
    this.stopCode = code;
    this.stoppedReason = reason;
    this.stoppingAt = this.#now();
    this.#lastStatus = 'STOPPING';
    this.#child.kill('SIGTERM');
    this.#killTimer = setTimeout(() => this.#child.kill('SIGKILL'), this.#stopTimeoutMs);
    return this.exited;
  }
}
