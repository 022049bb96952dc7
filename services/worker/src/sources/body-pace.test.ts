import { describe, expect, it } from 'vitest';
import { BodyPace, SlowSourceError } from './body-pace.ts';

describe('BodyPace', () => {
  it('fails a window that fell short of the floor, judged only once the window is over', () => {
    let now = 0;
    const pace = new BodyPace(1000, 500, () => now);
    now = 400;
    pace.count(1);
    now = 600;
    expect(() => pace.count(1)).toThrow(SlowSourceError);
  });

  it('passes a source at the floor, and starts a new window after a hold', () => {
    let now = 0;
    const pace = new BodyPace(1000, 500, () => now);
    for (let step = 0; step < 10; step++) {
      now += 100;
      pace.count(100);
    }
    // The reader held the body back for a minute: none of that is the source's.
    now += 60_000;
    pace.restart();
    now += 100;
    expect(() => pace.count(100)).not.toThrow();
  });

  it('does nothing with no floor', () => {
    let now = 0;
    const pace = new BodyPace(0, 500, () => now);
    now = 10_000;
    expect(() => pace.count(0)).not.toThrow();
  });
});
