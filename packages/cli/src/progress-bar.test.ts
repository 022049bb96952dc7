import { describe, expect, it } from 'vitest';
import { renderProgress, ThroughputMeter } from './progress-bar.ts';

describe('renderProgress', () => {
  it('shows bar, percentage, sizes, speed and ETA', () => {
    const line = renderProgress('running', 512 * 1024 * 1024, 1024 * 1024 * 1024, 128 * 1024 * 1024, 10);
    expect(line).toBe('running   [#####.....]  50.0%  512.0 MiB / 1.0 GiB  128.0 MiB/s  ETA 4s');
  });

  it('shows bytes and speed when the total is unknown', () => {
    expect(renderProgress('running', 2048, null, 1024)).toBe('running   2.0 KiB  1.0 KiB/s');
  });
});

describe('ThroughputMeter', () => {
  it('smooths the rate between samples', () => {
    const meter = new ThroughputMeter();
    expect(meter.update({ bytesDone: 0, bytesTotal: 100, atMs: 0 })).toBe(0);
    expect(meter.update({ bytesDone: 1000, bytesTotal: 100, atMs: 1000 })).toBe(1000);
    expect(meter.update({ bytesDone: 1000, bytesTotal: 100, atMs: 2000 })).toBeCloseTo(700);
  });
});
