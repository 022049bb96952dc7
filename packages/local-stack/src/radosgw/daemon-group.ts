import type { CephDaemon } from './ceph-daemon.ts';
import { spawnCephDaemon } from './ceph-daemon.ts';
import type { ClusterFiles } from './cluster-files.ts';

/**
 * The daemons of one cluster, in the order they were started, and the first failure of its
 * start-up: a daemon that died, or a step that failed.
 */
export class DaemonGroup {
  readonly #files: ClusterFiles;
  readonly #daemons: CephDaemon[] = [];
  readonly #failure = Promise.withResolvers<never>();
  readonly #abort = new AbortController();
  #started = false;

  constructor(files: ClusterFiles) {
    this.#files = files;
    // Only ever awaited through guard(); a failure nobody waits for is no error.
    this.#failure.promise.catch(() => {});
  }

  /** Aborted on failure, to kill the one-shot tools still talking to the cluster. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  spawn(binary: string, args: string[], entity: string): CephDaemon {
    const daemon = spawnCephDaemon(binary, args, entity, this.#files);
    this.#daemons.push(daemon);
    void daemon.gone.then((how) => {
      if (!this.#started) this.fail(new Error(`${daemon.label} ${how} during start-up\n${daemon.logTail()}`));
    });
    return daemon;
  }

  /** The process ids of the daemons started, e.g. to measure the cluster's CPU. */
  pids(): number[] {
    return this.#daemons.flatMap((daemon) => (daemon.pid === undefined ? [] : [daemon.pid]));
  }

  /** `step`, unless start-up fails first. */
  guard<T>(step: Promise<T>): Promise<T> {
    return Promise.race([step, this.#failure.promise]);
  }

  fail(error: Error): void {
    this.#failure.reject(error);
    this.#abort.abort(error);
  }

  /** From now on a daemon that exits is no start-up failure. */
  markStarted(): void {
    this.#started = true;
  }

  /**
   * Stops the daemons one after the other, newest first: radosgw's clean shutdown talks to the
   * OSD, and the OSD's to the mon, so each must go before what it depends on.
   */
  async stopAll(): Promise<void> {
    for (const daemon of [...this.#daemons].reverse()) await daemon.stop();
  }
}
