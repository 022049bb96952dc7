/** How the simulated fleet behaves. */
export interface FleetModel {
  /** Seconds from asking for a worker to its first job (an ECS task's start, a process's boot). */
  startupS: number;
  /** Jobs one worker runs at once (WORKER_CONCURRENCY). */
  concurrency: number;
  /** How long a job takes when its trace row does not say. */
  jobDurationS: number;
  /** Workers running at t = 0; default MIN_WORKERS. */
  initialWorkers?: number;
}

interface Worker {
  readyAt: number;
  /** Scaled in while busy: takes no new job and leaves when its jobs finish, as a drained worker does. */
  draining: boolean;
  /** When each of its jobs finishes. */
  finishes: number[];
}

/**
 * A fleet in one-second steps: workers start after `startupS`, take jobs first come first served,
 * and when scaled in leave at once if idle or starting, or drain their jobs first if busy.
 */
export class SimulatedFleet {
  readonly #model: FleetModel;
  #workers: Worker[] = [];
  #waiting: { arrivedAt: number; durationS: number }[] = [];
  #head = 0;

  constructor(model: FleetModel, initialWorkers: number) {
    this.#model = model;
    for (let i = 0; i < initialWorkers; i += 1)
      this.#workers.push({ readyAt: 0, draining: false, finishes: [] });
  }

  enqueue(t: number, count: number, durationS: number): void {
    for (let i = 0; i < count; i += 1) this.#waiting.push({ arrivedAt: t, durationS });
  }

  /** Finishes the jobs due by `t`, lets drained workers go, and starts waiting jobs on free slots. */
  step(t: number): void {
    for (const worker of this.#workers) worker.finishes = worker.finishes.filter((at) => at > t);
    this.#workers = this.#workers.filter((w) => !(w.draining && w.finishes.length === 0));
    for (const worker of this.#workers) {
      if (worker.draining || worker.readyAt > t) continue;
      while (worker.finishes.length < this.#model.concurrency && this.#head < this.#waiting.length) {
        const job = this.#waiting[this.#head] as { durationS: number };
        this.#head += 1;
        worker.finishes.push(t + job.durationS);
      }
    }
    if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Starts or removes workers: starting ones go first, then idle ones, then the least busy drain. */
  scaleTo(desired: number, t: number): void {
    const serving = this.#workers.filter((w) => !w.draining);
    if (desired > serving.length) {
      for (let i = serving.length; i < desired; i += 1)
        this.#workers.push({ readyAt: t + this.#model.startupS, draining: false, finishes: [] });
      return;
    }
    const byCheapestToLose = serving.sort(
      (a, b) => Number(a.readyAt <= t) - Number(b.readyAt <= t) || a.finishes.length - b.finishes.length,
    );
    for (const worker of byCheapestToLose.slice(0, serving.length - desired)) worker.draining = true;
    this.#workers = this.#workers.filter((w) => !(w.draining && w.finishes.length === 0));
  }

  waiting(): number {
    return this.#waiting.length - this.#head;
  }

  active(): number {
    return this.#workers.reduce((sum, w) => sum + w.finishes.length, 0);
  }

  oldestWaitingAgeS(t: number): number {
    const oldest = this.#waiting[this.#head];
    return oldest ? t - oldest.arrivedAt : 0;
  }

  /** Ready and taking jobs. */
  running(t: number): number {
    return this.#workers.filter((w) => !w.draining && w.readyAt <= t).length;
  }

  /** Asked for, still starting. */
  pending(t: number): number {
    return this.#workers.filter((w) => !w.draining && w.readyAt > t).length;
  }

  /** Every worker being paid for: starting, running or draining. */
  alive(): number {
    return this.#workers.length;
  }
}
