import { ErrorCode, FerryError } from '@ferry/shared';
import { describe, expect, it } from 'vitest';
import { failureReason } from './delivery-result.ts';

describe('failureReason', () => {
  it("keeps Ferry's own messages, which hold no secret", () => {
    const refused = new FerryError(ErrorCode.NOTIFY_ADDRESS_REFUSED, 'notify address 10.0.0.1 is private');
    expect(failureReason(refused, 1000)).toBe('notify address 10.0.0.1 is private');
  });

  it('names other errors by code, never by a message that may quote the URL', () => {
    const reset = Object.assign(new Error('socket hang up at https://h.example/?token=s3cret'), {
      code: 'UND_ERR_SOCKET',
      cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    });
    expect(failureReason(reset, 1000)).toBe('network error ECONNRESET');
    expect(failureReason(Object.assign(new Error('x ?token=s3cret'), { code: 'ECONNREFUSED' }), 1000)).toBe(
      'network error ECONNREFUSED',
    );
    expect(failureReason(new DOMException('signal timed out', 'TimeoutError'), 2500)).toBe(
      'no answer within 2500 ms',
    );
  });
});
