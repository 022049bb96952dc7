/**
 * `ferry api` / `ferry worker`: one service in the foreground, as a container runs it. SIGTERM or
 * SIGINT starts the graceful shutdown; the process exits 0 once it is done.
 */
export async function serve(command: 'api' | 'worker'): Promise<number> {
  // Before the worker's modules load, which would otherwise grow V8's young generation.
  if (command === 'worker') await import('@ferry/worker/heap-tuning');
  const service =
    command === 'api'
      ? await (await import('@ferry/api')).startApi(process.env)
      : await (await import('@ferry/worker')).startWorker(process.env);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await service.close();
  return 0;
}
