import { type Logger, type LoggerOptions, pino } from 'pino';

/**
 * Paths pino blanks out wherever they appear in a log line. Secrets reach logs through request
 * headers, source definitions and credentials objects; these cover all three shapes.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  'headers.Authorization',
  'source.headers',
  'request.source.headers',
  '*.source.headers',
  'credentials',
  '*.credentials',
  '*.*.credentials',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'apiKey',
  '*.apiKey',
];

export function loggerOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}

export function createLogger(service: string, level = 'info', destination?: NodeJS.WritableStream): Logger {
  return destination ? pino(loggerOptions(service, level), destination) : pino(loggerOptions(service, level));
}

export type { Logger };
