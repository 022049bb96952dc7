import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, release, totalmem } from 'node:os';
import type { Machine } from './results.ts';

/** What the numbers were measured on: they mean little without it. */
export function describeMachine(rclone: string | null): Machine {
  let cpuModel = 'unknown';
  try {
    cpuModel =
      /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    // Not Linux: the model stays unknown.
  }
  return {
    date: new Date().toISOString(),
    cpuModel,
    cores: availableParallelism(),
    ramBytes: totalmem(),
    kernel: release(),
    node: process.version,
    rclone,
    loadAverageStart: loadavg(),
    loadAverageEnd: [],
  };
}

export function finishMachine(machine: Machine): void {
  machine.loadAverageEnd = loadavg();
}
