import { describe, expect, it } from 'vitest';
import { tracingActive } from './active-tracing.ts';
import { errorType, inSpan } from './ferry-tracer.ts';

describe('inSpan with tracing off (no SDK started in this process)', () => {
  it('runs the work without making a span, passing its result and its failure through', async () => {
    expect(tracingActive()).toBe(false);
    const seen: unknown[] = [];
    const attributes = () => {
      throw new Error('attributes computed with tracing off');
    };
    const result = await inSpan('ferry.test', attributes, async (span) => {
      seen.push(span);
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).toEqual([null]);
    await expect(
      inSpan('ferry.test', {}, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});

describe('errorType', () => {
  it("is the error's stable code, else its class name; never its message", () => {
    expect(
      errorType(Object.assign(new Error('source at https://x/?sig=1 said no'), { code: 'SOURCE_NOT_FOUND' })),
    ).toBe('SOURCE_NOT_FOUND');
    expect(errorType(new TypeError('token abc is bad'))).toBe('TypeError');
    expect(errorType('a string')).toBe('Error');
  });
});
