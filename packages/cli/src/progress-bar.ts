import { formatBytes, formatDuration } from './format.ts';

export interface ProgressSample {
  bytesDone: number;
  bytesTotal: number | null;
  atMs: number;
}

/**
 * Throughput from a smoothed rate over recent samples, so one slow poll does not make the ETA jump.
 * Keeps only what the rate needs: the previous sample and the smoothed value.
 */
export class ThroughputMeter {
  #previous: ProgressSample | null = null;
  #rate = 0;

  update(sample: ProgressSample): number {
    const previous = this.#previous;
    if (previous && sample.atMs > previous.atMs) {
      const instant = ((sample.bytesDone - previous.bytesDone) * 1000) / (sample.atMs - previous.atMs);
      this.#rate = this.#rate === 0 ? instant : 0.7 * this.#rate + 0.3 * instant;
    }
    this.#previous = sample;
    return this.#rate;
  }
}

/** One line: bar, percentage, bytes, throughput and ETA (or bytes and rate when the size is unknown). */
export function renderProgress(
  status: string,
  bytesDone: number,
  bytesTotal: number | null,
  rate: number,
  width = 30,
): string {
  const speed = `${formatBytes(Math.max(0, rate))}/s`;
  if (!bytesTotal) return `${status.padEnd(9)} ${formatBytes(bytesDone)}  ${speed}`;
  const fraction = Math.min(1, bytesDone / bytesTotal);
  const filled = Math.round(fraction * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const eta = rate > 0 ? formatDuration((bytesTotal - bytesDone) / rate) : '--';
  return `${status.padEnd(9)} [${bar}] ${(fraction * 100).toFixed(1).padStart(5)}%  ${formatBytes(bytesDone)} / ${formatBytes(bytesTotal)}  ${speed}  ETA ${eta}`;
}
