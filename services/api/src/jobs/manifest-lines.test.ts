import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_BYTES, manifestLines } from './manifest-lines.ts';

async function* chunksOf(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const collect = async (text: string, size: number, start = 0) => {
  const lines = [];
  for await (const line of manifestLines(chunksOf(text, size), start)) lines.push(line);
  return lines;
};

describe('manifestLines', () => {
  it('cuts lines at \\n and \\r\\n wherever the chunks end, with the byte offset after each', async () => {
    const text = 'a,b\r\nçé,x\nlast';
    for (const size of [1, 2, 3, 100]) {
      expect(await collect(text, size)).toEqual([
        { text: 'a,b', endOffset: 5 },
        { text: 'çé,x', endOffset: 12 },
        { text: 'last', endOffset: 16 },
      ]);
    }
  });

  it('counts offsets from where the stream starts in the manifest', async () => {
    expect(await collect('x\ny\n', 2, 100)).toEqual([
      { text: 'x', endOffset: 102 },
      { text: 'y', endOffset: 104 },
    ]);
  });

  it('refuses an overlong line on its own, without holding it, and reads on after it', () => {
    const splitter = new LineSplitter(0);
    const long = Buffer.alloc(MAX_LINE_BYTES + 10, 'x');
    expect(splitter.push(long)).toEqual([]);
    expect(splitter.push(Buffer.from('\nok\n'))).toEqual([
      { text: null, endOffset: MAX_LINE_BYTES + 11 },
      { text: 'ok', endOffset: MAX_LINE_BYTES + 14 },
    ]);
    expect(splitter.end()).toEqual([]);
  });
});
