import { ErrorCode, FerryError } from '@ferry/shared';

/** A parsed five-field cron expression: the allowed values of each field. */
export interface Cron {
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  daysOfWeek: ReadonlySet<number>;
  /** Cron's rule: when both day fields are restricted, a day matching either one matches. */
  eitherDay: boolean;
}

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

function invalid(field: string, expression: string, message: string): FerryError {
  return new FerryError(ErrorCode.CONFIG_INVALID, `cron "${expression}": ${message}`, {
    details: [{ field, message }],
  });
}

function parseField(
  text: string,
  spec: (typeof FIELDS)[number],
  field: string,
  expression: string,
): Set<number> {
  const values = new Set<number>();
  const number = (part: string) => {
    if (!/^\d+$/.test(part))
      throw invalid(field, expression, `${spec.name} "${text}": "${part}" is not a number`);
    const n = Number(part);
    if (n < spec.min || n > spec.max)
      throw invalid(field, expression, `${spec.name} "${text}": ${n} is outside ${spec.min}-${spec.max}`);
    return n;
  };
  for (const item of text.split(',')) {
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined || range === '')
      throw invalid(field, expression, `${spec.name} "${text}": "${item}" is not a value, range or step`);
    const step = stepText === undefined ? 1 : number(stepText);
    if (step === 0) throw invalid(field, expression, `${spec.name} "${text}": a step must be at least 1`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = spec.min;
      to = spec.max;
    } else {
      const [start = '', end, more] = range.split('-');
      if (more !== undefined)
        throw invalid(field, expression, `${spec.name} "${text}": "${range}" is not a range`);
      from = number(start);
      // "5/15" means from 5 to the end in steps of 15, as in Vixie cron.
      to = end === undefined ? (stepText === undefined ? from : spec.max) : number(end);
      if (to < from)
        throw invalid(field, expression, `${spec.name} "${text}": range ${from}-${to} runs backwards`);
    }
    for (let n = from; n <= to; n += step) values.add(n);
  }
  return values;
}

/**
 * Parses "minute hour day-of-month month day-of-week" (numbers, `*`, ranges `a-b`, lists `a,b`,
 * steps `/n`; Sunday is 0 or 7). `field` names the setting in errors, e.g. "schedule[0].cron".
 */
export function parseCron(expression: string, field = 'cron'): Cron {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5)
    throw invalid(
      field,
      expression,
      `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`,
    );
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = FIELDS.map((spec, i) =>
    parseField(parts[i] as string, spec, field, expression),
  ) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  if (daysOfWeek.has(7)) daysOfWeek.add(0);
  return {
    minutes,
    hours,
    daysOfMonth,
    months,
    daysOfWeek,
    eitherDay: !parts[2]?.startsWith('*') && !parts[4]?.startsWith('*'),
  };
}

/** Whether the minute containing `at` (ms since the epoch, UTC) matches. */
export function cronMatches(cron: Cron, at: number): boolean {
  const date = new Date(at);
  if (!cron.minutes.has(date.getUTCMinutes()) || !cron.hours.has(date.getUTCHours())) return false;
  if (!cron.months.has(date.getUTCMonth() + 1)) return false;
  const dom = cron.daysOfMonth.has(date.getUTCDate());
  const dow = cron.daysOfWeek.has(date.getUTCDay());
  return cron.eitherDay ? dom || dow : dom && dow;
}
