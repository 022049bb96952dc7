import { afterEach, describe, expect, it } from 'vitest';
import { testFleet } from './test-limiters.ts';

const KEY = 'dropbox:app:stale-gate-test';
let fleet: ReturnType<typeof testFleet>;

afterEach(async () => {
  await fleet.close();
});

describe('FleetLimiter send gate', () => {
  it('asks the gate again when its answer was read a spacing late, at most three times', async () => {
    // 10 requests/s: the gate spaces requests 100 ms apart. This worker's clock jumps 150 ms at
    // every read, as if its event loop stood still while each answer waited: every pass is stale.
    fleet = testFleet({ DROPBOX_RATE_LIMIT_PER_S: '10' });
    let clock = Date.now();
    const lagging = fleet.worker({
      now: () => {
        clock += 150;
        return clock;
      },
    });
    const signal = new AbortController().signal;

    const began = performance.now();
    let sentAt = 0;
    await lagging.request(
      KEY,
      async () => {
        sentAt = performance.now();
      },
      signal,
    );
    // Each stale pass set the spacing it then did not use: the next ask waits it out (100 ms, on the
    // real clock), three times before the request goes anyway.
    expect(sentAt - began).toBeGreaterThanOrEqual(3 * 100 - 5);

    // A worker whose answers come in time goes on its first pass once the spacing allows.
    const prompt = fleet.worker();
    let calls = 0;
    await prompt.request(
      KEY,
      async () => {
        calls++;
      },
      signal,
    );
    expect(calls).toBe(1);
  });
});
