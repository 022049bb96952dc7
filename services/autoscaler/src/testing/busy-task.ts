import type { EcsTaskDefinition } from '@ferry/test-support';

/**
 * A task definition for the adapters' stand-in tests: a node process that keeps a core busy for
 * `busyMs` of every 100 ms (so CPUUtilization has something to show) and exits on SIGTERM.
 */
export function busyTask(busyMs: number): EcsTaskDefinition {
  const script = `
    process.on('SIGTERM', () => process.exit(0));
    setInterval(() => { const until = Date.now() + ${busyMs}; while (Date.now() < until); }, 100);`;
  return {
    command: process.execPath,
    args: ['-e', script],
    environment: { PATH: process.env.PATH ?? '' },
    stopTimeoutS: 5,
    cpu: 1024,
    memoryMiB: 512,
  };
}
