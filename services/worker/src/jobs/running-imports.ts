export type StopReason = 'canceled' | 'draining' | 'lock-lost';

/**
 * The two brakes of one running import. `stop` (drain) lets parts in flight finish and be
 * checkpointed but starts no new ones; `abort` (cancel, or the drain deadline) stops every request
 * at once. A cancel outranks a drain: a canceled import is cleaned up, not handed back.
 */
export class ImportControl {
  readonly #stop = new AbortController();
  readonly #abort = new AbortController();
  #reason: StopReason | null = null;

  get stop(): AbortSignal {
    return this.#stop.signal;
  }

  get abort(): AbortSignal {
    return this.#abort.signal;
  }

  get reason(): StopReason | null {
    return this.#reason;
  }

  cancel(): void {
    this.#reason = 'canceled';
    this.#stop.abort('canceled');
    this.#abort.abort('canceled');
  }

  drain(): void {
    this.#reason ??= 'draining';
    this.#stop.abort(this.#reason);
  }

  /**
   * BullMQ could not renew the job's lock: another worker may already have taken the job. Stop at
   * once so two workers do not move the same import; the checkpoint lets the new owner continue.
   */
  lockLost(): void {
    if (this.#reason !== 'canceled') this.#reason = 'lock-lost';
    this.#stop.abort(this.#reason);
    this.#abort.abort(this.#reason);
  }

  forceStop(): void {
    this.drain();
    this.#abort.abort(this.#reason);
  }
}

/** The imports this worker process is running, by import id, for cancel messages and the drain. */
export class RunningImports {
  readonly #byId = new Map<string, ImportControl>();
  /** Told the count whenever it changes: ECS task protection follows whether the worker is busy. */
  readonly #onSize: (size: number) => void;
  #draining = false;
  #forced = false;

  constructor(onSize: (size: number) => void = () => {}) {
    this.#onSize = onSize;
  }

  /** Registers an import; one that starts while the worker drains starts already stopped. */
  start(importId: string): ImportControl {
    const control = new ImportControl();
    this.#byId.set(importId, control);
    if (this.#forced) control.forceStop();
    else if (this.#draining) control.drain();
    this.#onSize(this.#byId.size);
    return control;
  }

  finish(importId: string, control: ImportControl): void {
    if (this.#byId.get(importId) === control) this.#byId.delete(importId);
    this.#onSize(this.#byId.size);
  }

  lockLost(importId: string): boolean {
    const control = this.#byId.get(importId);
    control?.lockLost();
    return control !== undefined;
  }

  cancel(importId: string): boolean {
    const control = this.#byId.get(importId);
    control?.cancel();
    return control !== undefined;
  }

  drainAll(): void {
    this.#draining = true;
    for (const control of this.#byId.values()) control.drain();
  }

  forceStopAll(): void {
    this.#draining = true;
    this.#forced = true;
    for (const control of this.#byId.values()) control.forceStop();
  }

  get size(): number {
    return this.#byId.size;
  }
}
