import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseEnv } from '../config/parse-env.ts';
import { FailpointError, FailpointsField } from './failpoints.ts';

const Env = z.object({ FERRY_FAILPOINTS: FailpointsField });

describe('FERRY_FAILPOINTS', () => {
  it('does nothing when unset or at points it does not name', () => {
    expect(() => parseEnv(Env, {}).FERRY_FAILPOINTS.hit('notify.before-deliver')).not.toThrow();
    const points = parseEnv(Env, { FERRY_FAILPOINTS: 'a=throw' }).FERRY_FAILPOINTS;
    expect(() => points.hit('b')).not.toThrow();
  });

  it('throws at a `throw` point', () => {
    const points = parseEnv(Env, {
      FERRY_FAILPOINTS: 'import.after-complete=exit, notify.before-deliver=throw',
    }).FERRY_FAILPOINTS;
    expect(() => points.hit('notify.before-deliver')).toThrow(FailpointError);
  });

  it.each(['notify', 'notify=crash', 'no spaces=exit'])('refuses %s', (value) => {
    expect(() => parseEnv(Env, { FERRY_FAILPOINTS: value })).toThrow(
      /FERRY_FAILPOINTS: entry 1 is not name=exit/,
    );
  });
});
