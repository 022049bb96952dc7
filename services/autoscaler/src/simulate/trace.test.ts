import { describe, expect, it } from 'vitest';
import { parseTrace } from './trace.ts';

describe('parseTrace', () => {
  it('reads rows with an optional header, comments, blank lines and durations', () => {
    const csv = '# a comment\nt_s,arrivals,job_duration_s\r\n0,200\n\n60, 5 ,90.5\n60,1,\n';
    expect(parseTrace(csv)).toEqual([
      { t: 0, arrivals: 200 },
      { t: 60, arrivals: 5, jobDurationS: 90.5 },
      { t: 60, arrivals: 1 },
    ]);
    expect(parseTrace('0,1')).toEqual([{ t: 0, arrivals: 1 }]);
  });

  it('names the line and column of a bad value', () => {
    expect(() => parseTrace('t_s,arrivals\n0,3\n10,x\n')).toThrow(
      'trace line 3, column 2 (arrivals): "x" is not a whole number of imports from 0 to 1000000',
    );
    expect(() => parseTrace('0,3\n1.5,2')).toThrow(
      'trace line 2, column 1 (t_s): "1.5" is not a whole number',
    );
    expect(() => parseTrace('10,3\n5,2')).toThrow(
      "trace line 2, column 1 (t_s): 5 comes before the previous row's 10",
    );
    expect(() => parseTrace('0,3,0')).toThrow('trace line 1, column 3 (job_duration_s): "0" is not a number');
    expect(() => parseTrace('0,3,1,2')).toThrow('trace line 1, column 4 (extra): too many columns');
    expect(() => parseTrace('0')).toThrow('trace line 1, column 2 (arrivals): missing');
    expect(() => parseTrace('t_s,imports\n0,1')).toThrow('trace line 1, column 2 (arrivals): header must be');
    expect(() => parseTrace('# only a comment\n')).toThrow('the trace has no rows');
  });

  it('carries a stable code and the field in its details', () => {
    try {
      parseTrace('0,-1');
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ field: 'line 1, column 2 (arrivals)' }],
      });
    }
  });
});
