import { ErrorCode, FerryError } from '@ferry/shared';

/** One row of a load trace: `arrivals` new imports at second `t`, each taking `jobDurationS` if given. */
export interface TraceRow {
  t: number;
  arrivals: number;
  jobDurationS?: number;
}

const COLUMNS = ['t_s', 'arrivals', 'job_duration_s'] as const;
const MAX_T_S = 30 * 24 * 3600;

function invalid(line: number, column: number, message: string): FerryError {
  const field = `line ${line}, column ${column} (${COLUMNS[column - 1] ?? 'extra'})`;
  return new FerryError(ErrorCode.VALIDATION_FAILED, `trace ${field}: ${message}`, {
    status: 400,
    details: [{ field, message }],
  });
}

/**
 * Parses a trace CSV: `t_s,arrivals[,job_duration_s]` per line, times in whole seconds and not
 * decreasing; an optional header line naming those columns; blank lines and `#` comments ignored.
 * Errors name the line and column.
 */
export function parseTrace(csv: string): TraceRow[] {
  const rows: TraceRow[] = [];
  const lines = csv.split('\n');
  let sawData = false;
  for (let i = 0; i < lines.length; i += 1) {
    const lineNumber = i + 1;
    const text = (lines[i] as string).replace(/\r$/, '').trim();
    if (text === '' || text.startsWith('#')) continue;
    const cells = text.split(',').map((cell) => cell.trim());
    if (!sawData && cells[0] === 't_s') {
      cells.forEach((cell, c) => {
        if (cell !== COLUMNS[c])
          throw invalid(lineNumber, c + 1, `header must be t_s,arrivals[,job_duration_s]`);
      });
      if (cells.length < 2) throw invalid(lineNumber, 2, 'header must be t_s,arrivals[,job_duration_s]');
      sawData = true;
      continue;
    }
    sawData = true;
    if (cells.length < 2) throw invalid(lineNumber, 2, 'missing: expected t_s,arrivals[,job_duration_s]');
    if (cells.length > 3)
      throw invalid(lineNumber, 4, 'too many columns: expected t_s,arrivals[,job_duration_s]');
    const [tText = '', arrivalsText = '', durationText = ''] = cells;
    const t = Number(tText);
    if (tText === '' || !Number.isInteger(t) || t < 0 || t > MAX_T_S)
      throw invalid(lineNumber, 1, `"${tText}" is not a whole number of seconds from 0 to ${MAX_T_S}`);
    const previous = rows.at(-1);
    if (previous && t < previous.t)
      throw invalid(
        lineNumber,
        1,
        `${t} comes before the previous row's ${previous.t}: times must not decrease`,
      );
    const arrivals = Number(arrivalsText);
    if (arrivalsText === '' || !Number.isInteger(arrivals) || arrivals < 0 || arrivals > 1_000_000)
      throw invalid(lineNumber, 2, `"${arrivalsText}" is not a whole number of imports from 0 to 1000000`);
    const row: TraceRow = { t, arrivals };
    if (durationText !== '') {
      const duration = Number(durationText);
      if (!Number.isFinite(duration) || duration <= 0 || duration > 86_400)
        throw invalid(
          lineNumber,
          3,
          `"${durationText}" is not a number of seconds above 0 and at most 86400`,
        );
      row.jobDurationS = duration;
    }
    rows.push(row);
  }
  if (rows.length === 0) throw invalid(1, 1, 'the trace has no rows');
  return rows;
}
