import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulateCommand } from './simulate-command.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: { write: (text: string) => out.push(text) },
      stderr: { write: (text: string) => err.push(text) },
    },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

describe('runSimulateCommand', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-simulate-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the chart and prints the summary', async () => {
    const trace = join(dir, 'burst.csv');
    await writeFile(trace, 't_s,arrivals\n0,40\n');
    const out = join(dir, 'burst-chart.svg');
    const c = capture();
    const code = await runSimulateCommand(
      ['--trace', trace, '--out', out, '--max', '8', '--down-window', '60'],
      c.io,
    );
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    expect(c.out()).toContain('burst.csv: 40 imports · min 1, max 8 · 4 jobs per worker');
    expect(c.out()).toMatch(/peak backlog {7}40 jobs at 0:00/);
    expect(c.out()).toMatch(/peak workers {7}8 at /);
    expect(c.out()).toMatch(/time to drain {6}\d+:\d\d/);
    expect(c.out()).toMatch(/worker-seconds {5}[\d,]+ \(/);
    expect(c.out()).toMatch(/direction changes {2}1/);
    expect(await readFile(out, 'utf8')).toContain('burst: autoscaler simulation');
  });

  it('takes rate limits as the service does: a slower scale-up takes longer to reach the peak', async () => {
    const trace = join(dir, 'spike.csv');
    await writeFile(trace, 't_s,arrivals\n0,200\n');
    const peakAt = async (extra: string[]) => {
      const c = capture();
      const code = await runSimulateCommand(
        ['--trace', trace, '--out', join(dir, 'spike.svg'), '--max', '20', ...extra],
        c.io,
      );
      expect(c.err()).toBe('');
      expect(code).toBe(0);
      return /peak workers {7}20 at (\d+):(\d\d)/.exec(c.out())?.slice(1).map(Number);
    };
    // Decisions every 15 s from 0:00. +4 or +100% a period: 1 → 5 → 10 → 20, at 0:30.
    expect(await peakAt([])).toEqual([0, 30]);
    // +1 a period: 19 steps, the last at 4:30.
    expect(await peakAt(['--up-limit', '1,0'])).toEqual([4, 30]);
    // Decisions every 5 s: +1 per interval reaches 20 at 1:30; +1 per 15 s still at 4:30.
    expect(await peakAt(['--interval', '5', '--up-limit', '1,0'])).toEqual([1, 30]);
    expect(await peakAt(['--interval', '5', '--up-limit', '1,0,15'])).toEqual([4, 30]);
  });

  it('refuses bad options with the usage and exit code 2', async () => {
    const c = capture();
    expect(await runSimulateCommand(['--trace', 'x.csv', '--max', 'ten'], c.io)).toBe(2);
    expect(c.err()).toContain('--max must be a whole number from 1 to 10000, got "ten"');
    expect(c.err()).toContain('Usage: pnpm ferry autoscaler simulate');
    const mixed = capture();
    expect(await runSimulateCommand(['--trace', 'x.csv', '--min', '5', '--max', '3'], mixed.io)).toBe(2);
    expect(mixed.err()).toContain('--max must be a whole number from 1 to 10000, at least minWorkers');
    const limit = capture();
    expect(await runSimulateCommand(['--trace', 'x.csv', '--up-limit', 'fast'], limit.io)).toBe(2);
    expect(limit.err()).toContain('--up-limit expected "<workers>,<percent>"');
    const period = capture();
    expect(await runSimulateCommand(['--trace', 'x.csv', '--down-limit', '1,10,0'], period.io)).toBe(2);
    expect(period.err()).toContain('--down-limit.periodS must be a whole number of seconds');
    const unknown = capture();
    expect(await runSimulateCommand(['--trace', 'x.csv', '--speed', '2'], unknown.io)).toBe(2);
    expect(unknown.err()).toContain("Unknown option '--speed'");
    const missing = capture();
    expect(await runSimulateCommand([], missing.io)).toBe(2);
    expect(missing.err()).toContain('--trace <csv> is required');
  });

  it('reports a bad trace by line and column, and a missing one by path, with exit code 1', async () => {
    const trace = join(dir, 'bad.csv');
    await writeFile(trace, '0,5\n10,five\n');
    const c = capture();
    expect(await runSimulateCommand(['--trace', trace, '--out', join(dir, 'bad.svg')], c.io)).toBe(1);
    expect(c.err()).toContain('trace line 2, column 2 (arrivals): "five"');
    const gone = capture();
    expect(await runSimulateCommand(['--trace', join(dir, 'nope.csv')], gone.io)).toBe(1);
    expect(gone.err()).toContain(`cannot read ${join(dir, 'nope.csv')}`);
  });

  it('prints the usage for --help', async () => {
    const c = capture();
    expect(await runSimulateCommand(['--help'], c.io)).toBe(0);
    expect(c.out()).toContain('--down-window <s>');
  });
});
