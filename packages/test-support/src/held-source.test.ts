import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type FileSourceHandle, startFileSource } from '@ferry/local-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomFile } from './files.ts';
import { type HeldSource, startHeldSource } from './held-source.ts';

describe('held source (a proxy that stops responses at a byte until released)', () => {
  const file = randomFile(64 * 1024);
  const bytes = readFileSync(join(file.dir, file.name));
  let source: FileSourceHandle;
  let held: HeldSource;

  beforeAll(async () => {
    source = await startFileSource({ root: file.dir });
    held = await startHeldSource(source.url, 40_000);
  });

  afterAll(async () => {
    await held.close();
    await source.close();
    rmSync(file.dir, { recursive: true, force: true });
  });

  it('passes the bytes before the hold, stops there until release(), then sends the rest intact', async () => {
    // Past the hold: not held.
    const after = await fetch(`${held.url}/${file.name}`, { headers: { range: 'bytes=50000-50009' } });
    expect(Buffer.from(await after.arrayBuffer())).toEqual(bytes.subarray(50_000, 50_010));

    const response = await fetch(`${held.url}/${file.name}`, { headers: { range: 'bytes=1000-' } });
    expect(response.status).toBe(206);
    const reader = response.body?.getReader();
    if (!reader) throw new Error('expected a body');
    const chunks: Uint8Array[] = [];
    let done = false;
    const reading = (async () => {
      for (;;) {
        const next = await reader.read();
        if (next.done) break;
        chunks.push(next.value);
      }
      done = true;
    })();
    await held.held;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(done).toBe(false);
    expect(Buffer.concat(chunks).length).toBe(39_000);

    held.release();
    await reading;
    expect(Buffer.concat(chunks)).toEqual(bytes.subarray(1000));
  });
});
