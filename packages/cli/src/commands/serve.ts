import { startTelemetry } from '@ferry/shared/telemetry';

/**
 * `ferry api` / `ferry worker` / `ferry autoscaler`: one service in the foreground, as a container
 * runs it. SIGTERM or SIGINT starts the graceful shutdown; the process exits 0 once it is done and
 * its last spans are exported.
 */
export async function serve(command: 'api' | 'worker' | 'autoscaler'): Promise<number> {
  // Before the worker's modules load, which would otherwise grow V8's young generation.
  if (command === 'worker') await import('@ferry/worker/heap-tuning');
  // Before the service's modules too: the instrumentations patch ioredis and node:http as they load.
  const telemetry = await startTelemetry(command);
  const service = await start(command);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await service.close();
  await telemetry.shutdown();
  return 0;
}

async function start(command: 'api' | 'worker' | 'autoscaler'): Promise<{ close(): Promise<void> }> {
  switch (command) {
    case 'api':
      return (await import('@ferry/api')).startApi(process.env);
    case 'worker':
      return (await import('@ferry/worker')).startWorker(process.env);
    case 'autoscaler':
      return (await import('@ferry/autoscaler')).startAutoscaler(process.env);
  }
}
