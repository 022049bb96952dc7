import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/api-harness.ts';
import { type FleetFixture, SEEDED, seedFleet } from '../testing/fleet-fixture.ts';
import { type HeadlessChromium, launchChromium } from '../testing/headless-chromium.ts';

const ADMIN_KEY = 'adm_browser_3f9a1c7e5b2d4f6a';

/** The cells of each body row of the table right after the heading. */
async function tableUnder(page: Page, heading: string): Promise<string[][]> {
  const rows = await page.locator(`:is(h2, h3):text-is("${heading}") + table tbody tr`).all();
  return Promise.all(rows.map((row) => row.locator('td').allTextContents()));
}

describe('the operator pages in headless Chromium', () => {
  let api: TestApi;
  let fleet: FleetFixture;
  let browser: HeadlessChromium;
  let baseUrl: string;

  beforeAll(async () => {
    api = await startTestApi({ env: { FERRY_ADMIN_KEYS: ADMIN_KEY } });
    fleet = await seedFleet(api.redis, api.config.FERRY_QUEUE);
    baseUrl = await api.app.listen({ host: '127.0.0.1', port: 0 });
    // Basic auth: the browser sends the key with the page and every request the page makes.
    browser = await launchChromium({ httpCredentials: { username: 'operator', password: ADMIN_KEY } });
  });
  afterAll(async () => {
    await browser?.close();
    await fleet?.close();
    await api?.close();
  });

  it('Bull Board lists the queue with its counts and offers no actions', async () => {
    const queue = api.config.FERRY_QUEUE;
    const page = await browser.context.newPage();
    const response = await page.goto(`${baseUrl}/admin/queues`);
    expect(response?.status()).toBe(200);
    const card = page.locator('li', { has: page.locator(`a[title="${queue}"]`) });
    // The counts arrive by the UI's own (Basic-authenticated) calls to /admin/queues/api.
    await card.getByText(`${SEEDED.waiting + SEEDED.failed} Jobs`).waitFor();
    expect(await page.locator('a[href="/admin/queues/?status=waiting"]').textContent()).toMatch(
      new RegExp(`WAITING\\s*${SEEDED.waiting}$`),
    );
    expect(await page.locator('a[href="/admin/queues/?status=failed"]').textContent()).toMatch(
      new RegExp(`FAILED\\s*${SEEDED.failed}$`),
    );

    await page.goto(`${baseUrl}/admin/queues/queue/${queue}?status=failed`);
    await page.getByText('seeded failure').first().waitFor();
    const actions = page.getByRole('button', {
      name: /retry|clean|promote|delete|remove|add job|pause|empty/i,
    });
    expect(await actions.count()).toBe(0);
    await page.close();
  });

  it('the fleet page shows the decision, the counts, the worker and the paused account', async () => {
    const page = await browser.context.newPage();
    const response = await page.goto(`${baseUrl}/admin/fleet`);
    expect(response?.status()).toBe(200);
    // The reason as written, markup and all: escaped in the HTML, so shown as text.
    const [decision] = await tableUnder(page, 'Autoscaler');
    expect(decision?.slice(0, 5)).toEqual([
      'local',
      `${SEEDED.current}`,
      '0',
      `${SEEDED.desired}`,
      SEEDED.reason,
    ]);
    expect(await page.locator('b').count()).toBe(0);
    expect(await tableUnder(page, 'Signals')).toContainEqual(['currentWorkers', `${SEEDED.current}`]);
    const counts = await tableUnder(page, 'Queue');
    expect(counts).toContainEqual(['waiting', `${SEEDED.waiting}`]);
    expect(counts).toContainEqual(['failed', `${SEEDED.failed}`]);
    // The one idle worker, which BullMQ lists under the queue's name.
    const workers = await tableUnder(page, 'Workers');
    expect(workers.map((worker) => worker[0])).toEqual([api.config.FERRY_QUEUE]);
    // Seeded for 600 s: what is left of it, in whole seconds.
    const paused = await tableUnder(page, 'Paused provider accounts');
    expect(paused.map((pause) => pause[0])).toEqual([SEEDED.pausedAccount]);
    expect(Number(paused[0]?.[1])).toBeGreaterThan(500);
    await page.close();
  });
});
