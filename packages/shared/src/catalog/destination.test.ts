import { describe, expect, it } from 'vitest';
import { bucketNameProblem, Destination } from './destination.ts';

describe('bucketNameProblem', () => {
  it.each(['my-bucket', 'a.b.c', 'abc', 'x'.repeat(63), '1bucket'])('accepts %s', (name) => {
    expect(bucketNameProblem(name)).toBeNull();
  });

  it.each([
    ['ab', /3 to 63/],
    ['x'.repeat(64), /3 to 63/],
    ['My-Bucket', /lowercase/],
    ['-bucket', /start and end/],
    ['bucket-', /start and end/],
    ['my..bucket', /adjacent dots/],
    ['192.168.5.4', /IP address/],
    ['xn--bucket', /prefix/],
    ['bucket-s3alias', /suffix/],
    ['under_score', /lowercase/],
  ])('refuses %s', (name, problem) => {
    expect(bucketNameProblem(name)).toMatch(problem);
  });
});

describe('Destination', () => {
  it('refuses an empty key and a key over 1024 UTF-8 bytes', () => {
    expect(Destination.safeParse({ bucket: 'b-1', key: '' }).success).toBe(false);
    expect(Destination.safeParse({ bucket: 'b-1', key: 'é'.repeat(513) }).success).toBe(false);
    expect(Destination.safeParse({ bucket: 'b-1', key: 'é'.repeat(512) }).success).toBe(true);
  });

  it('refuses unknown fields', () => {
    expect(Destination.safeParse({ bucket: 'b-1', key: 'k', acl: 'public-read' }).success).toBe(false);
  });
});
