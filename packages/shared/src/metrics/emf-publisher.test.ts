import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { EmfMetric } from './cloudwatch-emf.ts';
import { startEmfPublisher } from './emf-publisher.ts';

const METRICS: EmfMetric[] = [
  {
    name: 'ImportsCompleted',
    unit: 'Count',
    from: 'imports_total',
    kind: 'counter',
    where: { outcome: ['completed'] },
  },
  {
    name: 'ImportsFailed',
    unit: 'Count',
    from: 'imports_total',
    kind: 'counter',
    where: { outcome: ['failed'] },
  },
  { name: 'ActiveImports', unit: 'Count', from: 'active', kind: 'gauge' },
  { name: 'WaitSeconds', unit: 'Seconds', from: 'wait_seconds_sum', kind: 'counter' },
];

function registryWithSeries() {
  const registry = new Registry();
  const registers = [registry];
  const imports = new Counter({
    name: 'imports_total',
    help: 'h',
    labelNames: ['outcome', 'code'],
    registers,
  });
  const active = new Gauge({ name: 'active', help: 'h', registers });
  const waits = new Histogram({
    name: 'wait_seconds',
    help: 'h',
    labelNames: ['account'],
    buckets: [1],
    registers,
  });
  return { registry, imports, active, waits };
}

/** Publishes through `close()` only (the interval is far off), collecting the parsed documents. */
function publisher(registry: Registry) {
  const lines: string[] = [];
  const start = () =>
    startEmfPublisher({
      registry,
      metrics: METRICS,
      queue: 'ferry-imports',
      intervalMs: 3_600_000,
      write: (line) => lines.push(line),
      now: () => 1_700_000_000_000,
    });
  const documents = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { start, documents, lines };
}

describe('EMF publisher', () => {
  it('writes one Embedded Metric Format line per flush: namespace Ferry, dimension Queue, units', async () => {
    const { registry, imports, active } = registryWithSeries();
    imports.inc({ outcome: 'completed', code: 'none' }, 3);
    imports.inc({ outcome: 'failed', code: 'SOURCE_NOT_FOUND' });
    imports.inc({ outcome: 'failed', code: 'SOURCE_GONE' });
    active.set(2);
    const emf = publisher(registry);
    await emf.start().close();

    expect(emf.lines).toHaveLength(1);
    expect(emf.lines[0]?.endsWith('\n')).toBe(true);
    expect(emf.documents()[0]).toEqual({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'Ferry',
            Dimensions: [['Queue']],
            Metrics: [
              { Name: 'ImportsCompleted', Unit: 'Count' },
              { Name: 'ImportsFailed', Unit: 'Count' },
              { Name: 'ActiveImports', Unit: 'Count' },
              { Name: 'WaitSeconds', Unit: 'Seconds' },
            ],
          },
        ],
      },
      Queue: 'ferry-imports',
      ImportsCompleted: 3,
      ImportsFailed: 2,
      ActiveImports: 2,
      WaitSeconds: 0,
    });
  });

  it('publishes counters as their increase since the last flush, gauges as they are now', async () => {
    const { registry, imports, active, waits } = registryWithSeries();
    const emf = publisher(registry);
    const first = emf.start();
    imports.inc({ outcome: 'completed', code: 'none' }, 5);
    waits.observe({ account: 'dropbox:app:a' }, 1.5);
    active.set(4);
    await first.close();
    // A second publisher on the same registry would start from 0 again; this one goes on from its totals.
    imports.inc({ outcome: 'completed', code: 'none' }, 2);
    waits.observe({ account: 'dropbox:app:b' }, 0.5);
    active.set(1);
    await first.close();
    await first.close();

    const values = emf.documents().map(({ ImportsCompleted, ActiveImports, WaitSeconds }) => ({
      ImportsCompleted,
      ActiveImports,
      WaitSeconds,
    }));
    expect(values).toEqual([
      { ImportsCompleted: 5, ActiveImports: 4, WaitSeconds: 1.5 },
      { ImportsCompleted: 2, ActiveImports: 1, WaitSeconds: 0.5 },
      { ImportsCompleted: 0, ActiveImports: 1, WaitSeconds: 0 },
    ]);
  });

  it('flushes on its interval', async () => {
    const { registry, imports } = registryWithSeries();
    const lines: string[] = [];
    const emf = startEmfPublisher({
      registry,
      metrics: METRICS,
      queue: 'q',
      intervalMs: 20,
      write: (l) => lines.push(l),
    });
    imports.inc({ outcome: 'failed', code: 'X' });
    await expect.poll(() => lines.length).toBeGreaterThanOrEqual(2);
    await emf.close();
    const failed = lines.map((line) => (JSON.parse(line) as { ImportsFailed: number }).ImportsFailed);
    expect(failed.reduce((a, b) => a + b, 0)).toBe(1);
  });
});
