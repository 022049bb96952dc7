import { Writable } from 'node:stream';

export interface LoggedLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/**
 * A stream for a service's real logger (`createLogger(service, level, stream)`) that parses each
 * JSON line into `lines`, for tests that check what was logged.
 */
export function logCapture(): { stream: Writable; lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { stream, lines };
}
