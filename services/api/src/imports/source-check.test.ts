import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { batchResolver } from './source-check.ts';

describe('batchResolver', () => {
  it('looks each host up once, however many items name it', async () => {
    const lookups: string[] = [];
    const resolve = batchResolver(async (host): Promise<LookupAddress[]> => {
      lookups.push(host);
      return [{ address: '93.184.216.34', family: 4 }];
    });
    await Promise.all(Array.from({ length: 1000 }, (_, i) => resolve(i % 2 ? 'a.example' : 'b.example')));
    expect(lookups.sort()).toEqual(['a.example', 'b.example']);
  });

  it('runs at most `concurrency` lookups at a time', async () => {
    let running = 0;
    let peak = 0;
    const resolve = batchResolver(async (): Promise<LookupAddress[]> => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 2));
      running--;
      return [];
    }, 4);
    await Promise.all(Array.from({ length: 40 }, (_, i) => resolve(`host-${i}.example`)));
    expect(peak).toBe(4);
  });

  it('passes a failed lookup on to every item naming that host', async () => {
    const resolve = batchResolver(async () => {
      throw new Error('ENOTFOUND');
    });
    await expect(resolve('x.invalid')).rejects.toThrow('ENOTFOUND');
    await expect(resolve('x.invalid')).rejects.toThrow('ENOTFOUND');
  });
});
