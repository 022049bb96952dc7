import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@ferry/shared';
import { logCapture } from '@ferry/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseWorkerEnv } from '../env.ts';
import { type ImdsStandIn, startImdsStandIn } from '../testing/imds-stand-in.ts';
import {
  type SpotInterruptionNotice,
  type SpotInterruptionWatcher,
  type SpotWatcherOptions,
  startSpotInterruptionWatcher,
} from './spot-interruption-watcher.ts';

function captureLogger() {
  const { stream, lines } = logCapture();
  return { logger: createLogger('worker', 'debug', stream), lines };
}

describe('Spot interruption watcher (against a local IMDSv2 stand-in)', () => {
  let imds: ImdsStandIn;
  const watchers: SpotInterruptionWatcher[] = [];

  const watch = (options: Partial<SpotWatcherOptions> = {}) => {
    const notices: SpotInterruptionNotice[] = [];
    const { logger, lines } = captureLogger();
    const watcher = startSpotInterruptionWatcher({
      imdsUrl: imds.url,
      intervalMs: 20,
      logger,
      onNotice: (notice) => notices.push(notice),
      ...options,
    });
    watchers.push(watcher);
    return { watcher, notices, lines };
  };

  const polls = () => imds.requests.filter((r) => r.path === '/latest/meta-data/spot/instance-action');
  const tokenRequests = () => imds.requests.filter((r) => r.path === '/latest/api/token');

  beforeEach(async () => {
    imds = await startImdsStandIn();
  });

  afterEach(async () => {
    await Promise.all(watchers.splice(0).map((watcher) => watcher.close()));
    await imds.close();
  });

  it('polls with one IMDSv2 token and reports nothing while there is no notice', async () => {
    const { notices } = watch();
    await expect.poll(() => polls().length).toBeGreaterThanOrEqual(5);
    expect(notices).toEqual([]);
    expect(polls().every((r) => r.status === 404)).toBe(true);
    expect(tokenRequests()).toEqual([{ method: 'PUT', path: '/latest/api/token', status: 200 }]);
  });

  it('reports an interruption notice once and stops polling', async () => {
    const { watcher, notices } = watch();
    await expect.poll(() => polls().length).toBeGreaterThanOrEqual(2);
    const notice = { action: 'terminate', time: '2030-01-01T00:02:00Z' };
    imds.interrupt(notice);
    await expect(watcher.notice).resolves.toEqual(notice);
    expect(notices).toEqual([notice]);
    const seen = imds.requests.length;
    await sleep(150);
    expect(imds.requests.length).toBe(seen);
  });

  it('gets a new token when IMDS refuses the old one, and renews it before it lapses', async () => {
    let clock = 1_000_000;
    const { watcher } = watch({ now: () => clock, tokenTtlS: 60 });
    await expect.poll(() => polls().length).toBeGreaterThanOrEqual(2);
    expect(tokenRequests()).toHaveLength(1);

    imds.revokeTokens();
    await expect.poll(() => tokenRequests().length).toBe(2);
    await expect.poll(() => polls().filter((r) => r.status === 404).length).toBeGreaterThanOrEqual(4);

    clock += 31_000; // past half the token's 60 s
    await expect.poll(() => tokenRequests().length).toBe(3);

    imds.interrupt({ action: 'stop', time: '2030-01-01T00:02:00Z' });
    await expect(watcher.notice).resolves.toMatchObject({ action: 'stop' });
    expect(imds.requests.filter((r) => r.status === 401)).toHaveLength(1);
  });

  it('keeps polling quietly when IMDS does not answer, and closes promptly', async () => {
    // A port nothing listens on: connection refused, as off EC2 or with IMDS blocked.
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const { watcher, notices, lines } = watch({ imdsUrl: `http://127.0.0.1:${closedPort}` });
    await sleep(200);
    const warnings = lines.filter((l) => l.msg === 'cannot read spot interruption status from IMDS');
    expect(warnings).toHaveLength(1); // once per outage, not once per poll
    expect(notices).toEqual([]);
    const started = Date.now();
    await watcher.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('is configured from the environment: off by default, 5 s polls of the link-local IMDS address', () => {
    const config = parseWorkerEnv({ FERRY_DEV: '1' });
    expect(config).toMatchObject({
      SPOT_WATCH: false,
      IMDS_URL: 'http://169.254.169.254',
      SPOT_POLL_MS: 5000,
      JOB_LOCK_MS: 30_000,
    });
    expect(
      parseWorkerEnv({ FERRY_DEV: '1', SPOT_WATCH: '1', IMDS_URL: 'http://127.0.0.1:1338' }),
    ).toMatchObject({
      SPOT_WATCH: true,
      IMDS_URL: 'http://127.0.0.1:1338',
    });
    expect(() => parseWorkerEnv({ IMDS_URL: 'ftp://x' })).toThrow(/IMDS_URL/);
    expect(() => parseWorkerEnv({ JOB_LOCK_MS: '10' })).toThrow(/JOB_LOCK_MS/);
  });
});
