import { sharedTicks, timeAxis } from './chart-scale.ts';
import type { SimulationPoint } from './simulate.ts';

export interface ChartOptions {
  title?: string;
  /** A line under the title, e.g. the summary. */
  subtitle?: string;
}

const WIDTH = 960;
const HEIGHT = 500;
const PLOT = { left: 76, right: WIDTH - 76, top: 112, bottom: HEIGHT - 60 };
const COLORS = {
  text: '#111827',
  muted: '#6b7280',
  grid: '#e5e7eb',
  axis: '#9ca3af',
  backlog: '#2563eb',
  workers: '#ea580c',
  starting: '#fdba74',
  desired: '#7c2d12',
};

const escapeXml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );
const n = (value: number) => String(Math.round(value * 10) / 10);
const label = (value: number) => String(Math.round(value * 100) / 100);

type Point = [x: number, y: number];

/** The corners of a line that holds each value until the next point and to `endX`: counts change in steps. */
function stepCorners(points: readonly Point[], endX: number): Point[] {
  const corners: Point[] = [];
  points.forEach(([px, py], i) => {
    const previous = corners.at(-1);
    if (previous) corners.push([px, previous[1]]);
    corners.push([px, py]);
    if (i === points.length - 1) corners.push([endX, py]);
  });
  return corners;
}

const pathOf = (corners: readonly Point[]) =>
  corners.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${n(px)} ${n(py)}`).join('');

/**
 * The simulation as an SVG chart: backlog (left axis) as a shaded line, workers running,
 * starting and desired (right axis) as steps, time along the bottom. Plain SVG, no dependency.
 */
export function renderChart(series: readonly SimulationPoint[], options: ChartOptions = {}): string {
  const spanS = Math.max(series.at(-1)?.t ?? 0, 1);
  const time = timeAxis(spanS);
  const xMax = time.ticks.at(-1) as number;
  const { left: backlogTicks, right: workerTicks } = sharedTicks(
    Math.max(1, ...series.map((p) => p.backlog)),
    Math.max(1, ...series.map((p) => Math.max(p.desired, p.currentWorkers + p.pendingWorkers))),
  );
  const backlogMax = backlogTicks.at(-1) as number;
  const workersMax = workerTicks.at(-1) as number;
  const x = (t: number) => PLOT.left + (t / Math.max(xMax, spanS)) * (PLOT.right - PLOT.left);
  const yOf = (max: number) => (v: number) => PLOT.bottom - (v / max) * (PLOT.bottom - PLOT.top);
  const yBacklog = yOf(backlogMax);
  const yWorkers = yOf(workersMax);
  const end = x(spanS);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="24" y="34" font-size="18" font-weight="600" fill="${COLORS.text}">${escapeXml(options.title ?? 'Autoscaler simulation')}</text>`,
  );
  if (options.subtitle)
    out.push(
      `<text x="24" y="56" font-size="13" fill="${COLORS.muted}">${escapeXml(options.subtitle)}</text>`,
    );

  // Legend, one row above the plot.
  const legend: [string, string][] = [
    [
      'backlog (waiting + running jobs)',
      `<rect width="18" height="10" y="-9" fill="${COLORS.backlog}" fill-opacity="0.15" stroke="${COLORS.backlog}" stroke-width="1.5"/>`,
    ],
    ['workers running', `<line x2="18" y1="-4" y2="-4" stroke="${COLORS.workers}" stroke-width="2.5"/>`],
    [
      'workers starting',
      `<rect width="18" height="10" y="-9" fill="${COLORS.starting}" fill-opacity="0.55"/>`,
    ],
    [
      'desired',
      `<line x2="18" y1="-4" y2="-4" stroke="${COLORS.desired}" stroke-width="1.5" stroke-dasharray="5 3"/>`,
    ],
  ];
  let lx = PLOT.left;
  for (const [text, swatch] of legend) {
    out.push(
      `<g transform="translate(${lx} 88)">${swatch}<text x="24" fill="${COLORS.text}">${text}</text></g>`,
    );
    lx += 24 + text.length * 6.6 + 28;
  }

  // Gridlines and both y-axes' labels, which share the gridlines.
  backlogTicks.forEach((value, i) => {
    const y = n(yBacklog(value));
    out.push(
      `<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${y}" y2="${y}" stroke="${i === 0 ? COLORS.axis : COLORS.grid}"/>`,
      `<text x="${PLOT.left - 10}" y="${y}" dy="4" text-anchor="end" fill="${COLORS.backlog}">${label(value)}</text>`,
      `<text x="${PLOT.right + 10}" y="${y}" dy="4" fill="${COLORS.workers}">${label(workerTicks[i] as number)}</text>`,
    );
  });
  const mid = (PLOT.top + PLOT.bottom) / 2;
  out.push(
    `<text transform="translate(22 ${mid}) rotate(-90)" text-anchor="middle" fill="${COLORS.backlog}" font-weight="600">backlog (jobs)</text>`,
    `<text transform="translate(${WIDTH - 20} ${mid}) rotate(90)" text-anchor="middle" fill="${COLORS.workers}" font-weight="600">workers</text>`,
  );

  // Time axis.
  for (const t of time.ticks) {
    const tx = n(x(t));
    out.push(
      `<line x1="${tx}" x2="${tx}" y1="${PLOT.bottom}" y2="${PLOT.bottom + 5}" stroke="${COLORS.axis}"/>`,
      `<text x="${tx}" y="${PLOT.bottom + 19}" text-anchor="middle" fill="${COLORS.muted}">${label(t / time.unitS)}</text>`,
    );
  }
  out.push(
    `<text x="${(PLOT.left + PLOT.right) / 2}" y="${HEIGHT - 16}" text-anchor="middle" fill="${COLORS.muted}">${time.title}</text>`,
  );

  if (series.length > 0) {
    const steps = (value: (p: SimulationPoint) => number) =>
      stepCorners(
        series.map((p): Point => [x(p.t), yWorkers(value(p))]),
        end,
      );
    const running = steps((p) => p.currentWorkers);
    const asked = steps((p) => p.currentWorkers + p.pendingWorkers);
    const backlogLine = series
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${n(x(p.t))} ${n(yBacklog(p.backlog))}`)
      .join('');
    const backlogArea = `${backlogLine}L${n(end)} ${PLOT.bottom}L${n(x(series[0]?.t ?? 0))} ${PLOT.bottom}Z`;
    // Back to front: backlog shading, the band of starting workers (between running and running +
    // starting), then the lines, the fleet's own on top.
    out.push(
      `<path d="${backlogArea}" fill="${COLORS.backlog}" fill-opacity="0.12" stroke="none"/>`,
      `<path d="${pathOf([...asked, ...[...running].reverse()])}Z" fill="${COLORS.starting}" fill-opacity="0.55" stroke="none"/>`,
      `<path d="${backlogLine}" fill="none" stroke="${COLORS.backlog}" stroke-width="1.75" stroke-linejoin="round"/>`,
      `<path d="${pathOf(steps((p) => p.desired))}" fill="none" stroke="${COLORS.desired}" stroke-width="1.5" stroke-dasharray="5 3"/>`,
      `<path d="${pathOf(running)}" fill="none" stroke="${COLORS.workers}" stroke-width="2.5" stroke-linejoin="round"/>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
