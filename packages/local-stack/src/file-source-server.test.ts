import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileSourceHandle, startFileSource } from './file-source-server.ts';

describe('file source server', () => {
  const root = mkdtempSync(join(tmpdir(), 'ferry-fs-'));
  let source: FileSourceHandle;
  beforeAll(async () => {
    writeFileSync(join(root, 'f.bin'), Buffer.from('0123456789'));
    source = await startFileSource({ root });
  });
  afterAll(async () => {
    await source.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves ranges with Content-Range and honours If-Range', async () => {
    const head = await fetch(`${source.url}/f.bin`, { method: 'HEAD' });
    const etag = head.headers.get('etag') ?? '';
    expect(head.headers.get('content-length')).toBe('10');
    expect(head.headers.get('accept-ranges')).toBe('bytes');

    const ranged = await fetch(`${source.url}/f.bin`, { headers: { range: 'bytes=2-5', 'if-range': etag } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe('bytes 2-5/10');
    expect(await ranged.text()).toBe('2345');

    const stale = await fetch(`${source.url}/f.bin`, {
      headers: { range: 'bytes=2-5', 'if-range': '"old"' },
    });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe('0123456789');

    const unsatisfiable = await fetch(`${source.url}/f.bin`, { headers: { range: 'bytes=20-' } });
    expect(unsatisfiable.status).toBe(416);
    await unsatisfiable.arrayBuffer();
  });

  it('answers 404 for missing files and does not escape its root', async () => {
    expect((await fetch(`${source.url}/missing.bin`)).status).toBe(404);
    expect((await fetch(`${source.url}/%2e%2e/%2e%2e/%2e%2e/etc/passwd`)).status).toBe(404);
  });
});
