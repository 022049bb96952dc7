import { EmulatorError } from './emulator-error.ts';

export interface ResetFault {
  /** Body bytes sent before the socket is destroyed. */
  afterBytes: number;
  /** How many of the next downloads (with a body longer than afterBytes) are cut. */
  times: number;
}

export interface CorruptFault {
  /** Offset in the body of the byte to flip; the length and every other byte stay as they are. */
  atByte: number;
  /** How many of the next downloads (with a body longer than atByte) are corrupted. */
  times: number;
}

export interface SlowFault {
  bytesPerSecond: number;
}

/** What one download does: the fault state is read once, when its body starts. */
export interface DownloadPlan {
  resetAfterBytes: number | null;
  /** Body offset of the byte sent inverted: bytes that no longer match the file's stated digest. */
  corruptAtByte: number | null;
  bytesPerSecond: number | null;
}

/** A fault that hits the next `remaining` bodies long enough to reach `atByte`. */
interface CountedFault {
  atByte: number;
  remaining: number;
}

/** Faults applied to file bodies (downloads and exports), switched on and off by tests at runtime. */
export class DownloadFaults {
  #reset: CountedFault | null = null;
  #corrupt: CountedFault | null = null;
  #bytesPerSecond: number | null = null;

  /** Cuts the next `times` downloads after `afterBytes` body bytes; `times: 0` cancels. */
  resetMidStream(fault: ResetFault): void {
    if (!Number.isSafeInteger(fault.afterBytes) || fault.afterBytes < 0) {
      throw new EmulatorError('EMULATOR_BAD_INPUT', 'resetMidStream.afterBytes must be an integer >= 0');
    }
    if (!Number.isSafeInteger(fault.times) || fault.times < 0) {
      throw new EmulatorError('EMULATOR_BAD_INPUT', 'resetMidStream.times must be an integer >= 0');
    }
    this.#reset = fault.times === 0 ? null : { atByte: fault.afterBytes, remaining: fault.times };
  }

  /**
   * Inverts the byte at body offset `atByte` of the next `times` downloads, as a bad disk or a buggy
   * proxy would: the answer looks whole, only a digest of the file can tell. `times: 0` cancels.
   */
  corruptNextDownloads(fault: CorruptFault): void {
    if (!Number.isSafeInteger(fault.atByte) || fault.atByte < 0) {
      throw new EmulatorError('EMULATOR_BAD_INPUT', 'corruptNextDownloads.atByte must be an integer >= 0');
    }
    if (!Number.isSafeInteger(fault.times) || fault.times < 0) {
      throw new EmulatorError('EMULATOR_BAD_INPUT', 'corruptNextDownloads.times must be an integer >= 0');
    }
    this.#corrupt = fault.times === 0 ? null : { atByte: fault.atByte, remaining: fault.times };
  }

  /** Throttles every download from now on; `null` removes the throttle. */
  slowStream(fault: SlowFault | null): void {
    if (fault !== null && !(Number.isFinite(fault.bytesPerSecond) && fault.bytesPerSecond > 0)) {
      throw new EmulatorError('EMULATOR_BAD_INPUT', 'slowStream.bytesPerSecond must be a number > 0');
    }
    this.#bytesPerSecond = fault?.bytesPerSecond ?? null;
  }

  planFor(bodyLength: number): DownloadPlan {
    const resetAfterBytes = use(this.#reset, bodyLength);
    const corruptAtByte = use(this.#corrupt, bodyLength);
    if (this.#reset?.remaining === 0) this.#reset = null;
    if (this.#corrupt?.remaining === 0) this.#corrupt = null;
    return { resetAfterBytes, corruptAtByte, bytesPerSecond: this.#bytesPerSecond };
  }
}

/** The fault's offset when this body reaches it, using up one of its times; else null. */
function use(fault: CountedFault | null, bodyLength: number): number | null {
  // A body that ends before the offset would not show the fault: it does not use one up.
  if (fault === null || bodyLength <= fault.atByte) return null;
  fault.remaining -= 1;
  return fault.atByte;
}
