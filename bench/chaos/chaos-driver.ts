const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ChaosDriverOptions {
  /** The fleet process's control URL (chaos-fleet.ts). */
  fleetUrl: string;
  /** Seconds between two strikes: uniform in [min, max]. */
  everyS: [number, number];
  random: () => number;
  log(line: string): void;
}

export interface ChaosDriver {
  /** Stops striking; answers how many workers it took down, each way. */
  stop(): Promise<{ sigkill: number; spot: number }>;
}

interface TaskView {
  id: string;
  lastStatus: string;
  protected: boolean;
}

/**
 * Every few seconds, one busy worker (a running task under scale-in protection: it holds imports)
 * chosen at random goes down, by turns SIGKILLed (the host is gone) or reclaimed as Spot capacity is
 * (SIGTERM, SIGKILL after the stop timeout). An idle worker is never chosen: killing one proves nothing.
 */
export function startChaosDriver(options: ChaosDriverOptions): ChaosDriver {
  const kills = { sigkill: 0, spot: 0 };
  let stopped = false;
  let next: 'sigkill' | 'spot' = 'sigkill';
  const [min, max] = options.everyS;
  const loop = (async () => {
    while (!stopped) {
      await sleep((min + options.random() * (max - min)) * 1000);
      if (stopped) break;
      try {
        const tasks = (await (await fetch(`${options.fleetUrl}/tasks`)).json()) as TaskView[];
        const busy = tasks.filter((task) => task.lastStatus === 'RUNNING' && task.protected);
        const victim = busy[Math.floor(options.random() * busy.length)];
        if (!victim) continue;
        const response = await fetch(`${options.fleetUrl}/kill`, {
          method: 'POST',
          body: JSON.stringify({ id: victim.id, how: next }),
        });
        if (!response.ok) continue;
        kills[next]++;
        options.log(
          `  chaos: ${next === 'sigkill' ? 'SIGKILL' : 'Spot reclaim of'} task ${victim.id.slice(0, 8)} (${busy.length} busy)`,
        );
        next = next === 'sigkill' ? 'spot' : 'sigkill';
      } catch (error) {
        options.log(`  chaos: could not strike: ${(error as Error).message}`);
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return kills;
    },
  };
}

/** A small seeded generator (mulberry32), so a run's strikes can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
