import type { Registry } from 'prom-client';
import { type EmfMetric, emfDocument, FERRY_CLOUDWATCH_NAMESPACE, totalsOf } from './cloudwatch-emf.ts';

export interface EmfPublisherOptions {
  registry: Registry;
  metrics: readonly EmfMetric[];
  /** The BullMQ queue name: the one dimension of Ferry's CloudWatch metrics. */
  queue: string;
  intervalMs: number;
  /** Where the lines go: stdout, which the container's log driver sends to CloudWatch Logs. */
  write?: (line: string) => void;
  now?: () => number;
}

export interface EmfPublisher {
  /** Publishes what has not been published yet, then stops. */
  close(): Promise<void>;
}

/**
 * Publishes a Prometheus registry's Ferry metrics to CloudWatch every `intervalMs` as EMF log lines.
 * Counters go out as increases, so a restarted process (whose counters start again at 0) neither
 * double-counts nor publishes a negative step.
 */
export function startEmfPublisher(options: EmfPublisherOptions): EmfPublisher {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const now = options.now ?? Date.now;
  const published = new Map<string, number>();

  const flush = async (): Promise<void> => {
    const totals = totalsOf(await options.registry.getMetricsAsJSON(), options.metrics);
    const values = new Map<string, number>();
    for (const metric of options.metrics) {
      const total = totals.get(metric.name) ?? 0;
      values.set(metric.name, metric.kind === 'counter' ? total - (published.get(metric.name) ?? 0) : total);
      published.set(metric.name, total);
    }
    const document = emfDocument(
      FERRY_CLOUDWATCH_NAMESPACE,
      { Queue: options.queue },
      options.metrics,
      values,
      now(),
    );
    write(`${JSON.stringify(document)}\n`);
  };

  let flushing: Promise<void> = Promise.resolve();
  // A failed read of the registry loses nothing: the counters' totals are still there next time.
  const tick = () => {
    flushing = flushing.then(flush).catch(() => {});
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return {
    close: async () => {
      clearInterval(timer);
      tick();
      await flushing;
    },
  };
}
