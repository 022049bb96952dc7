import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { EcsTask, type TaskStatus, type TaskStopCode } from './ecs-task.ts';
import type { ResolvedTaskDefinition } from './task-definition.ts';
import type { TaskProtectionAgent } from './task-protection-agent.ts';

/** Where the service's ARNs point: the stand-in's region and account. */
export interface ArnScope {
  region: string;
  account: string;
}

export interface EcsServiceOptions {
  cluster: string;
  name: string;
  desiredCount: number;
  definition: ResolvedTaskDefinition;
  scope: ArnScope;
  agent: TaskProtectionAgent;
  /** Where each task's lines go (one stream per task, ended when it exits); none = discarded. */
  taskOutput?: (taskId: string) => NodeJS.WritableStream;
  now: () => number;
}

/** One task as DescribeTasks and the tests see it. */
export interface EcsTaskView {
  id: string;
  arn: string;
  pid: number | undefined;
  lastStatus: TaskStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  /** Scale-in protection on now. */
  protected: boolean;
  createdAt: number;
  startedAt: number | null;
  stoppingAt: number | null;
  stoppedAt: number | null;
  stopCode: TaskStopCode | null;
  stoppedReason: string | null;
  exitCode: number | null;
}

export interface EcsServiceEvent {
  id: string;
  createdAt: number;
  message: string;
}

/** DescribeServices keeps the last 100 events; so do we, and the last 100 stopped tasks. */
const KEPT = 100;
/** A task that exits sooner than this after it started counts as failing to start. */
const HEALTHY_AFTER_MS = 10_000;
const MAX_LAUNCH_DELAY_MS = 30_000;

/**
 * An ECS service and its scheduler: it keeps desiredCount tasks running. Too few, it launches
 * tasks (more slowly while they keep dying at start, as ECS throttles a failing service); too many,
 * it stops tasks as ECS scale-in does: only tasks without scale-in protection (not started yet
 * first, then the newest), leaving protected ones until their protection ends or expires. A task
 * that exits by itself is replaced while the desired count says so.
 */
export class EcsService {
  readonly cluster: string;
  readonly name: string;
  readonly arn: string;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  readonly definition: ResolvedTaskDefinition;
  readonly createdAt: number;
  readonly deploymentId = `ecs-svc/${randomInt(2 ** 47)}`;
  #desiredCount: number;
  readonly #options: EcsServiceOptions;
  readonly #live = new Map<string, EcsTask>();
  readonly #stopped: EcsTask[] = [];
  readonly #events: EcsServiceEvent[] = [];
  readonly #exits = new Set<Promise<void>>();
  #failedTasks = 0;
  #failedStarts = 0;
  #nextLaunchAt = 0;
  #blockedBefore = 0;
  #steady = false;
  #closed = false;

  constructor(options: EcsServiceOptions) {
    const { region, account } = options.scope;
    this.#options = options;
    this.cluster = options.cluster;
    this.name = options.name;
    this.definition = options.definition;
    this.#desiredCount = options.desiredCount;
    this.clusterArn = `arn:aws:ecs:${region}:${account}:cluster/${options.cluster}`;
    this.arn = `arn:aws:ecs:${region}:${account}:service/${options.cluster}/${options.name}`;
    this.taskDefinitionArn = `arn:aws:ecs:${region}:${account}:task-definition/${options.definition.family}:1`;
    this.createdAt = options.now();
  }

  get desiredCount(): number {
    return this.#desiredCount;
  }

  /** Tasks that exited by themselves (the deployment's failedTasks). */
  get failedTasks(): number {
    return this.#failedTasks;
  }

  /** Tasks the scheduler keeps: started and not asked to stop. */
  counts(): { desired: number; running: number; pending: number } {
    const kept = [...this.#live.values()].filter((task) => task.desiredStatus === 'RUNNING');
    return {
      desired: this.#desiredCount,
      running: kept.filter((task) => task.lastStatus === 'RUNNING').length,
      pending: kept.filter((task) => task.lastStatus === 'PENDING').length,
    };
  }

  setDesiredCount(count: number): void {
    this.#desiredCount = count;
    this.reconcile();
  }

  /** Every task still known: live ones, then the last stopped ones, newest first. */
  tasks(): EcsTaskView[] {
    return [...this.#live.values(), ...this.#stopped].map((task) => this.#view(task));
  }

  task(idOrArn: string): EcsTaskView | undefined {
    const task = this.#find(idOrArn);
    return task ? this.#view(task) : undefined;
  }

  /** Newest first. */
  events(): EcsServiceEvent[] {
    return [...this.#events];
  }

  /** StopTask: SIGTERM whatever its protection (protection only holds off the scheduler). */
  stopTask(idOrArn: string, reason: string): EcsTaskView | undefined {
    const task = this.#find(idOrArn);
    if (!task) return undefined;
    void task.stop('UserInitiated', reason);
    return this.#view(task);
  }

  /** One pass of the scheduler; the stand-in calls it every tick and after every change. */
  reconcile(): void {
    if (this.#closed) return;
    const kept = [...this.#live.values()].filter((task) => task.desiredStatus === 'RUNNING');
    const now = this.#options.now();
    if (kept.length < this.#desiredCount && now >= this.#nextLaunchAt) {
      const started = Array.from({ length: this.#desiredCount - kept.length }, () => this.#launch());
      this.#event(`has started ${started.length} tasks: ${started.map((t) => `(task ${t.id})`).join(' ')}.`);
    }
    const excess = kept.length - this.#desiredCount;
    const idle = kept
      .filter((task) => !this.#options.agent.isProtected(task.id))
      .sort((a, b) => pendingFirst(a) - pendingFirst(b) || b.createdAt - a.createdAt)
      .slice(0, Math.max(0, excess));
    if (idle.length > 0) {
      const reason = `Scaling activity initiated by (deployment ${this.deploymentId})`;
      for (const task of idle) void task.stop('ServiceSchedulerInitiated', reason);
      this.#event(
        `has stopped ${idle.length} running tasks: ${idle.map((t) => `(task ${t.id})`).join(' ')}.`,
      );
    }
    const blocked = Math.max(0, excess - idle.length);
    if (blocked > 0 && blocked !== this.#blockedBefore) {
      this.#event(`was unable to scale in due to (reason: ${blocked} tasks under protection).`);
    }
    this.#blockedBefore = blocked;
    const { running, pending } = this.counts();
    const steady = running === this.#desiredCount && pending === 0 && this.#live.size === running;
    if (steady && !this.#steady) this.#event('has reached a steady state.');
    this.#steady = steady;
  }

  /** Stops every task (SIGTERM, SIGKILL after the stop timeout) and waits for them all to exit. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const task of this.#live.values()) void task.stop('ServiceSchedulerInitiated', 'Service deleted');
    await Promise.all([...this.#exits]);
  }

  #launch(): EcsTask {
    const { scope, agent, taskOutput, now } = this.#options;
    const id = randomBytes(16).toString('hex');
    const arn = `arn:aws:ecs:${scope.region}:${scope.account}:task/${this.cluster}/${id}`;
    const task = new EcsTask({
      id,
      arn,
      definition: this.definition,
      agentUri: agent.register(id, arn),
      ...(taskOutput ? { output: taskOutput(id) } : {}),
      now,
    });
    this.#live.set(id, task);
    const exit = task.exited.then(() => this.#exited(task));
    this.#exits.add(exit);
    void exit.finally(() => this.#exits.delete(exit));
    return task;
  }

  #exited(task: EcsTask): void {
    this.#live.delete(task.id);
    this.#options.agent.forget(task.id);
    this.#stopped.unshift(task);
    this.#stopped.splice(KEPT);
    if (task.stopCode === 'EssentialContainerExited') {
      this.#failedTasks++;
      const lived = (task.stoppedAt ?? 0) - (task.startedAt ?? task.createdAt);
      if (lived < HEALTHY_AFTER_MS) {
        this.#failedStarts++;
        const delay = Math.min(1000 * 2 ** (this.#failedStarts - 1), MAX_LAUNCH_DELAY_MS);
        this.#nextLaunchAt = this.#options.now() + delay;
      } else {
        this.#failedStarts = 0;
      }
    }
    this.reconcile();
  }

  #find(idOrArn: string): EcsTask | undefined {
    const id = idOrArn.slice(idOrArn.lastIndexOf('/') + 1);
    return this.#live.get(id) ?? this.#stopped.find((task) => task.id === id);
  }

  #event(message: string): void {
    this.#events.unshift({
      id: randomUUID(),
      createdAt: this.#options.now(),
      message: `(service ${this.name}) ${message}`,
    });
    this.#events.splice(KEPT);
  }

  #view(task: EcsTask): EcsTaskView {
    return {
      id: task.id,
      arn: task.arn,
      pid: task.pid,
      lastStatus: task.lastStatus,
      desiredStatus: task.desiredStatus,
      protected: this.#options.agent.isProtected(task.id),
      createdAt: task.createdAt,
      startedAt: task.startedAt,
      stoppingAt: task.stoppingAt,
      stoppedAt: task.stoppedAt,
      stopCode: task.stopCode,
      stoppedReason: task.stoppedReason,
      exitCode: task.exitCode,
    };
  }
}

function pendingFirst(task: EcsTask): number {
  return task.lastStatus === 'PENDING' ? 0 : 1;
}
