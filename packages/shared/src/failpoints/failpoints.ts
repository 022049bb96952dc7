import { z } from 'zod';

/** What a worker that died at a failpoint exits with, so a test tells it from any other exit. */
export const FAILPOINT_EXIT_CODE = 86;

const ACTIONS = ['exit', 'throw'] as const;
type FailpointAction = (typeof ACTIONS)[number];

export class FailpointError extends Error {
  constructor(name: string) {
    super(`failpoint ${name} triggered`);
    this.name = 'FailpointError';
  }
}

/**
 * Named places where a crash test makes a process fail on purpose (FERRY_FAILPOINTS=name=exit,...):
 * `exit` ends the process at once, as a SIGKILL or a lost host would, without any cleanup; `throw`
 * fails the operation in hand. Unset, hit() costs one lookup in an empty Map.
 */
export class Failpoints {
  readonly #points: ReadonlyMap<string, FailpointAction>;

  constructor(points: ReadonlyMap<string, FailpointAction> = new Map()) {
    this.#points = points;
  }

  hit(name: string): void {
    const action = this.#points.get(name);
    if (action === 'exit') process.exit(FAILPOINT_EXIT_CODE);
    if (action === 'throw') throw new FailpointError(name);
  }
}

/** The FERRY_FAILPOINTS variable: `name=exit,name=throw`, names of letters, digits, `.`, `-`, `_`. */
export const FailpointsField = z
  .string()
  .optional()
  .transform((value, ctx): Failpoints => {
    const points = new Map<string, FailpointAction>();
    for (const [index, entry] of (value ?? '').split(',').entries()) {
      if (entry.trim() === '') continue;
      const [name = '', action = ''] = entry.trim().split('=');
      if (!/^[A-Za-z0-9._-]+$/.test(name) || !(ACTIONS as readonly string[]).includes(action)) {
        ctx.addIssue({ code: 'custom', message: `entry ${index + 1} is not name=exit or name=throw` });
        continue;
      }
      points.set(name, action as FailpointAction);
    }
    return new Failpoints(points);
  });
