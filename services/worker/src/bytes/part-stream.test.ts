import { describe, expect, it } from 'vitest';
import { heldPartStream } from './part-stream.ts';

describe('heldPartStream', () => {
  it('delivers its pieces in order, pauses and resumes, and can be delivered again', async () => {
    const released: number[] = [];
    const pieces = [0, 1, 2].map((n) => ({ chunk: Buffer.from([n]), release: () => released.push(n) }));
    const read = () => {
      const stream = heldPartStream(pieces);
      const seen: number[] = [];
      return new Promise<number[]>((resolve) => {
        stream.start({
          piece: (chunk, release) => {
            seen.push(chunk[0] as number);
            release();
            if (seen.length === 1) {
              stream.pause();
              setTimeout(() => stream.resume(), 5);
            }
          },
          end: () => resolve(seen),
          error: () => {},
        });
      });
    };
    expect(await read()).toEqual([0, 1, 2]);
    expect(await read()).toEqual([0, 1, 2]);
    expect(released).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('releases the pieces it never delivered when destroyed', () => {
    const released: number[] = [];
    const pieces = [0, 1, 2].map((n) => ({ chunk: Buffer.from([n]), release: () => released.push(n) }));
    const stream = heldPartStream(pieces);
    stream.start({
      piece: () => {
        stream.pause();
      },
      end: () => {},
      error: () => {},
    });
    stream.destroy();
    expect(released).toEqual([1, 2]);
  });
});
