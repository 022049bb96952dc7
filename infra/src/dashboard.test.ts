import { describe, expect, it } from 'vitest';
import { FerryMetricName } from './ferry-metrics.ts';
import { synthFerry } from './testing/synth-ferry.ts';

const { stack, template } = synthFerry();

interface Widget {
  type: string;
  properties: { title?: string; markdown?: string; metrics?: unknown[]; alarms?: unknown[] };
}

/** The dashboard body with its references resolved to their logical ids, as JSON to read. */
function dashboardWidgets(): Widget[] {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const parts = dashboard?.Properties.DashboardBody['Fn::Join'][1] as unknown[];
  const body = parts
    .map((part) => (typeof part === 'string' ? part : JSON.stringify(part).replaceAll('"', "'")))
    .join('');
  return JSON.parse(body).widgets;
}

describe('dashboard', () => {
  const widgets = dashboardWidgets();
  const titled = (title: string) => {
    const widget = widgets.find((w) => w.properties.title === title);
    if (!widget) throw new Error(`no widget "${title}"`);
    return JSON.stringify(widget.properties);
  };

  it('has the queue, fleet and transfer sections', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(widgets.filter((w) => w.type === 'text').map((w) => w.properties.markdown)).toEqual([
      '## Queue',
      '## Fleet',
      '## Transfer',
      '## Workers',
    ]);
  });

  it('graphs the queue: jobs waiting and running, the oldest wait, import events', () => {
    expect(titled('Jobs')).toContain(FerryMetricName.waitingJobs);
    expect(titled('Jobs')).toContain(FerryMetricName.activeJobs);
    expect(titled('Oldest waiting job (s)')).toContain(FerryMetricName.oldestWaitingJobAge);
    expect(titled('Import events')).toContain('ApproximateNumberOfMessagesVisible');
  });

  it('graphs the fleet: running tasks per service, CPU and memory of workers and API', () => {
    const running = titled('Running tasks');
    expect(running).toContain('RunningTaskCount');
    for (const label of ['Workers', 'API', 'Autoscaler']) expect(running).toContain(label);
    for (const title of ['Workers: CPU and memory (%)', 'API: CPU and memory (%)']) {
      expect(titled(title)).toContain('CPUUtilization');
      expect(titled(title)).toContain('MemoryUtilization');
    }
  });

  it('graphs the transfer: bytes written, imports finished and the failure rate, Redis load', () => {
    expect(titled('Bytes written to S3')).toContain(FerryMetricName.bytesTransferred);
    expect(titled('Imports finished')).toContain(FerryMetricName.importsCompleted);
    expect(titled('Imports finished')).toContain(FerryMetricName.importsFailed);
    expect(titled('Imports finished')).toContain('Failed imports (%)');
    expect(titled('Redis (%)')).toContain('DatabaseMemoryUsagePercentage');
    expect(titled('Redis (%)')).toContain('EngineCPUUtilization');
  });

  it("graphs the workers' own metrics: running imports, retries, checkpoints, rate limits, memory waits", () => {
    expect(titled('Imports running')).toContain(FerryMetricName.activeImports);
    expect(titled('Imports running')).toContain(FerryMetricName.desiredWorkers);
    expect(titled('Imports finished')).toContain(FerryMetricName.importsCanceled);
    expect(titled('Part retries and checkpoint writes')).toContain(FerryMetricName.partRetries);
    expect(titled('Part retries and checkpoint writes')).toContain(FerryMetricName.checkpointWrites);
    expect(titled('Provider rate limits')).toContain(FerryMetricName.rateLimitPauses);
    expect(titled('Provider rate limits')).toContain(FerryMetricName.rateLimitWaitSeconds);
    expect(titled('Memory budget waits')).toContain(FerryMetricName.memoryBudgetWaits);
    expect(titled('Memory budget waits')).toContain(FerryMetricName.memoryBudgetWaitSeconds);
  });

  it('shows the state of every alarm', () => {
    const alarms = widgets.find((w) => w.type === 'alarm')?.properties.alarms ?? [];
    expect(alarms).toHaveLength(stack.alarms.all().length);
  });
});
