import { describe, expect, it } from 'vitest';
import { parseSynthArgs } from './synth-args.ts';

describe('parseSynthArgs', () => {
  it("reads the CDK CLI's -c and -o", () => {
    expect(parseSynthArgs(['-c', 'image=repo:tag', '--context', 'ec2Spot=true', '-o', '/tmp/out'])).toEqual({
      outdir: '/tmp/out',
      context: { image: 'repo:tag', ec2Spot: 'true' },
    });
  });

  it('keeps everything after the first = as the value', () => {
    expect(parseSynthArgs(['-c', 'destinationBuckets=a,b=c']).context).toEqual({
      destinationBuckets: 'a,b=c',
    });
  });

  it('refuses what it does not know', () => {
    expect(() => parseSynthArgs(['--profile', 'prod'])).toThrow('unknown argument "--profile"');
    expect(() => parseSynthArgs(['-c', 'image'])).toThrow('-c takes key=value');
    expect(() => parseSynthArgs(['-o'])).toThrow('-o needs a value');
  });
});
