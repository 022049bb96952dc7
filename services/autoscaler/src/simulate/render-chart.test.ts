import { describe, expect, it } from 'vitest';
import { renderChart } from './render-chart.ts';
import type { SimulationPoint } from './simulate.ts';

const point = (t: number, backlog: number, currentWorkers: number, pendingWorkers: number, desired: number) =>
  ({
    t,
    arrivals: 0,
    backlog,
    waiting: backlog,
    active: 0,
    currentWorkers,
    pendingWorkers,
    desired,
    reason: '',
    workerSeconds: 0,
  }) satisfies SimulationPoint;

describe('renderChart', () => {
  const svg = renderChart([point(0, 200, 1, 0, 5), point(15, 180, 1, 4, 10), point(30, 0, 10, 0, 10)], {
    title: 'spike <200> & co',
    subtitle: 'min 1 · max 10',
  });

  it('is a standalone SVG with the title escaped', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('spike &lt;200&gt; &amp; co');
    expect(svg).toContain('min 1 · max 10');
  });

  it('has both axes, the time axis and the legend', () => {
    for (const text of [
      'backlog (jobs)',
      '>workers<',
      'seconds since start',
      'workers running',
      'workers starting',
      'desired',
    ])
      expect(svg).toContain(text);
    // The worker axis's top label and the backlog's share a gridline.
    expect(svg).toMatch(/>200<\/text>/);
    expect(svg).toMatch(/>10<\/text>/);
  });

  it('draws the backlog, the starting band and the two worker lines', () => {
    expect(svg.match(/<path /g)?.length).toBe(5);
    expect(svg).not.toContain('NaN');
  });

  it('draws an empty chart without failing', () => {
    const empty = renderChart([]);
    expect(empty).toContain('Autoscaler simulation');
    expect(empty).not.toContain('NaN');
  });
});
