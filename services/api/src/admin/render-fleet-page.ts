import type { StatusDocument } from '@ferry/autoscaler/published-status';
import type { PausedAccount } from '@ferry/shared';
import { escapeHtml } from './escape-html.ts';

/** What the fleet page shows, read from Redis just before rendering. */
export interface FleetView {
  queue: string;
  readAt: Date;
  /** The autoscaler's last published status; null when none runs (or its status expired). */
  autoscaler: StatusDocument | null;
  /** BullMQ's view of the workers connected to the queue (Redis CLIENT LIST fields). */
  workers: Record<string, string>[];
  counts: Record<string, number>;
  paused: PausedAccount[];
}

/** Every value passes escapeHtml: reasons, worker names and account keys come from outside the API. */
function table(headings: string[], rows: unknown[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = headings.map((heading) => `<th>${escapeHtml(heading)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell ?? '')}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function signalValue(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function autoscalerSection(status: StatusDocument | null): string {
  if (status === null) return '<p class="empty">No autoscaler has published a status for this queue.</p>';
  const decision = table(
    ['Mode', 'Current', 'Starting', 'Desired', 'Reason', 'Updated'],
    [
      [
        status.mode,
        status.current ?? '?',
        status.pending ?? 0,
        status.desired ?? '?',
        status.reason ?? 'no decision yet',
        status.updatedAt ?? '',
      ],
    ],
    '',
  );
  const error = status.error
    ? `<p class="error">Last tick failed: ${escapeHtml(JSON.stringify(status.error))}</p>`
    : '';
  const signals = table(
    ['Signal', 'Value'],
    Object.entries(status.signals ?? {}).map(([name, value]) => [name, signalValue(value)]),
    'The last tick read no signals.',
  );
  return `${decision}\n${error}<h3>Signals</h3>\n${signals}`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}.empty{color:#777}.error{color:#a00}`;

/** The whole page: self-contained HTML (no scripts, no external assets), refreshing itself. */
export function renderFleetPage(view: FleetView): string {
  const counts = table(['State', 'Jobs'], Object.entries(view.counts), 'No counts.');
  const workers = table(
    ['Name', 'Address', 'Connected (s)', 'Idle (s)'],
    view.workers.map((worker) => [worker.name, worker.addr, worker.age, worker.idle]),
    'No workers are connected.',
  );
  const paused = table(
    ['Account', 'Paused for (s)'],
    view.paused.map((pause) => [pause.account, Math.ceil(pause.remainingMs / 1000)]),
    'No provider account is paused.',
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="10">
<title>Ferry fleet: ${escapeHtml(view.queue)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Ferry fleet: queue ${escapeHtml(view.queue)}</h1>
<p>Read at ${escapeHtml(view.readAt.toISOString())}. <a href="queues">Jobs in Bull Board</a></p>
<h2>Autoscaler</h2>
${autoscalerSection(view.autoscaler)}
<h2>Queue</h2>
${counts}
<h2>Workers</h2>
${workers}
<h2>Paused provider accounts</h2>
${paused}
</body>
</html>
`;
}
