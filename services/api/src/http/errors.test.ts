import { ErrorCode, FerryError } from '@ferry/shared';
import { describe, expect, it } from 'vitest';
import { loggableError, toFerryError } from './errors.ts';

describe('toFerryError', () => {
  it('turns an unexpected error into a generic 500 that reveals nothing', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'token=abc123')");
    const error = toFerryError(bug);
    expect(error.status).toBe(500);
    expect(error.toJSON()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
  });

  it('keeps a FerryError that carries an HTTP status', () => {
    const refused = new FerryError(ErrorCode.NOT_FOUND, 'no such import', { status: 404 });
    expect(toFerryError(refused)).toBe(refused);
  });

  it('does not let a status-less FerryError through as a client error', () => {
    expect(toFerryError(new FerryError(ErrorCode.SOURCE_CHANGED, 'x')).status).toBe(500);
  });
});

describe('loggableError', () => {
  it('drops properties such as the Redis command arguments', () => {
    const error = Object.assign(new Error('ERR wrong number of arguments'), {
      command: { name: 'hset', args: ['k', 'request', '{"headers":{"Authorization":"secret"}}'] },
    });
    expect(JSON.stringify(loggableError(error, true))).not.toContain('secret');
  });
});
