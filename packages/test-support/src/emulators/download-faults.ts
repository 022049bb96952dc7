import { EmulatorError } from './emulator-error.ts';

export interface ResetFault {
  /** Body bytes sent before the socket is destroyed. */
  afterBytes: number;
  /** How many of the next downloads (with a body longer than afterBytes) are cut. */
  times: number;
}

export interface SlowFault {
  bytesPerSecond: number;
}

/** What one download does: the fault state is read once, when its body starts. */
export interface DownloadPlan {
  resetAfterBytes: number | null;
  bytesPerSecond: number | null;
}

/** Faults applied to file bodies (downloads and exports), switched on and off by tests at runtime. */
export class DownloadFaults {
  #reset: { afterBytes: number; remaining: number } | null = null;
  #bytesPerSecond: number | null = null;

  /** Cuts the next `times` downloads after `afterBytes` body bytes; `times: 0` cancels. */
  resetMidStream(fault: ResetFault): void {
    if (!Number.isSafeInteger(fault.afterBytes) || fault.afterBytes < 0) {
      throw new EmulatorError('EMULATOR_BAD_INPUT', 'resetMidStream.afterBytes must be an integer >= 0');
    }
    if (!Number.isSafeInteger(fault.times) || fault.times < 0) {
      throw new EmulatorError('EMULATOR_BAD_INPUT', 'resetMidStream.times must be an integer >= 0');
    }
    this.#reset = fault.times === 0 ? null : { afterBytes: fault.afterBytes, remaining: fault.times };
  }

  /** Throttles every download from now on; `null` removes the throttle. */
  slowStream(fault: SlowFault | null): void {
    if (fault !== null && !(Number.isFinite(fault.bytesPerSecond) && fault.bytesPerSecond > 0)) {
      throw new EmulatorError('EMULATOR_BAD_INPUT', 'slowStream.bytesPerSecond must be a number > 0');
    }
    this.#bytesPerSecond = fault?.bytesPerSecond ?? null;
  }

  planFor(bodyLength: number): DownloadPlan {
    let resetAfterBytes: number | null = null;
    const reset = this.#reset;
    // A body no longer than afterBytes would finish before the cut: it does not use up a reset.
    if (reset !== null && bodyLength > reset.afterBytes) {
      resetAfterBytes = reset.afterBytes;
      reset.remaining -= 1;
      if (reset.remaining === 0) this.#reset = null;
    }
    return { resetAfterBytes, bytesPerSecond: this.#bytesPerSecond };
  }
}
