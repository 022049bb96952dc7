import { spawnSync } from 'node:child_process';
import { ensureDebianPackages } from '@ferry/local-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrape, startThreeServicesWithOneImport, type ThreeServices } from './testing/three-services.ts';

/** `promtool check metrics` on one scrape: its exit status and what it said. */
function checkMetrics(promtool: string, exposition: string): { status: number | null; output: string } {
  const result = spawnSync(promtool, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

describe("every service's /metrics passes promtool check metrics (real Redis and S3)", () => {
  let promtool: string;
  let services: ThreeServices;

  beforeAll(async () => {
    // Installed from Debian's `prometheus` package when missing and running as root; otherwise the
    // test fails saying how to install it: a linter that is not there must not pass quietly.
    promtool = ensureDebianPackages(['prometheus'], ['promtool']).get('promtool') as string;
    services = await startThreeServicesWithOneImport();
  }, 300_000);

  afterAll(async () => {
    await services?.close();
  });

  it.for(['api', 'worker', 'autoscaler'] as const)('%s', async (service) => {
    const exposition = await scrape(services.metricsUrls[service]);
    expect(exposition).toContain(`ferry_${service === 'api' ? 'api_http' : service}`);
    if (service === 'worker') {
      expect(exposition).toContain('ferry_worker_imports_finished_total{outcome="completed",code="none"} 1');
    }
    expect(checkMetrics(promtool, exposition)).toEqual({ status: 0, output: '' });
  });
});
