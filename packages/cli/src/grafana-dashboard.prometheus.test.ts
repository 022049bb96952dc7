import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrometheusServer, startPrometheus } from './testing/prometheus-server.ts';
import {
  scrape,
  startThreeServicesWithOneImport,
  type ThreeServices,
  waitUntil,
} from './testing/three-services.ts';

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
}

const dashboard = JSON.parse(
  readFileSync(new URL('../../../infra/grafana/ferry-dashboard.json', import.meta.url), 'utf8'),
) as { panels: Panel[]; templating: { list: Array<{ name: string }> } };
const graphs = dashboard.panels.filter((panel) => panel.type !== 'row');

/**
 * Panels whose series only exist once something rare happened, which one import on a dry-run
 * autoscaler does not do: a failure, a retried part, a provider's throttling, a scaling step, fleet utilisation
 * (ECS mode only). Their queries must still be valid and name metrics the services export.
 */
const EMPTY_AFTER_ONE_IMPORT = new Set([
  'Failures by error code',
  'Part retries',
  'Rate-limit pauses by account',
  'Rate-limit wait (p95) by account',
  'Scale events',
  'Fleet utilisation',
]);

/** Metric names an expression reads (histogram series by their family name). */
function metricNames(expression: string): string[] {
  const names = expression.match(/\b(?:ferry|process|nodejs)_[a-z0-9_]+/g) ?? [];
  return [...new Set(names.map((name) => name.replace(/_bucket$/, '')))];
}

describe('the Grafana dashboard (infra/grafana) against a real Prometheus scraping all three services', () => {
  let services: ThreeServices;
  let prometheus: PrometheusServer;
  let expositions: string;
  /** Grafana's variables, as the dashboard's defaults would set them for this queue. */
  const resolve = (expression: string) =>
    expression
      .replaceAll('$__rate_interval', '15s')
      .replaceAll('$queue', services.queue)
      .replaceAll('$worker_job', 'ferry-worker');

  beforeAll(async () => {
    services = await startThreeServicesWithOneImport();
    prometheus = await startPrometheus({
      'ferry-api': services.metricsUrls.api,
      'ferry-worker': services.metricsUrls.worker,
      'ferry-autoscaler': services.metricsUrls.autoscaler,
    });
    // Rates need two samples of every target inside the window.
    await waitUntil(async () => {
      const result = await prometheus.query('min(count_over_time(up[15s])) >= 3 and min(up) == 1');
      return (result.data?.result.length ?? 0) > 0;
    }, 'three scrapes of every service');
    expositions = (await Promise.all(Object.values(services.metricsUrls).map(scrape))).join('\n');
  }, 300_000);

  afterAll(async () => {
    await prometheus?.close();
    await services?.close();
  });

  it('has panels, each with a query, and the variables its queries use', () => {
    expect(graphs.length).toBeGreaterThanOrEqual(20);
    const variables = dashboard.templating.list.map((variable) => variable.name);
    for (const panel of graphs) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const { expr } of panel.targets ?? []) {
        for (const [, used] of expr.matchAll(/\$(\w+)/g)) {
          if (used !== '__rate_interval') expect(variables, `${panel.title}: $${used}`).toContain(used);
        }
      }
    }
  });

  it('reads only metrics the services export', () => {
    const missing = graphs.flatMap((panel) =>
      (panel.targets ?? []).flatMap(({ expr }) =>
        metricNames(expr)
          .filter((name) => !expositions.includes(`# TYPE ${name} `))
          .map((name) => `${panel.title}: ${name}`),
      ),
    );
    expect(missing).toEqual([]);
  });

  it.for(graphs.map((panel) => [panel.title, panel] as const))('%s', async ([title, panel]) => {
    for (const { expr } of panel.targets ?? []) {
      const result = await prometheus.query(resolve(expr));
      expect(result.error, expr).toBeUndefined();
      expect(result.status).toBe('success');
      if (!EMPTY_AFTER_ONE_IMPORT.has(title)) {
        expect(result.data?.result.length, `${expr} returned no series`).toBeGreaterThan(0);
      }
    }
  });
});
