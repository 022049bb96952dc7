import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { devSecretKey } from './dev-secret-key.ts';

describe('devSecretKey', () => {
  const roots: string[] = [];
  const freshRoot = () => {
    const root = join(mkdtempSync(join(tmpdir(), 'ferry-key-')), 'data');
    roots.push(root);
    return root;
  };
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(join(root, '..'), { recursive: true, force: true });
  });

  it('makes a 32-byte key once, readable only by its owner, and gives the same key on the next start', () => {
    const root = freshRoot();
    const first = devSecretKey(root);
    expect(Buffer.from(first, 'base64')).toHaveLength(32);
    expect(statSync(join(root, 'secret-key')).mode & 0o777).toBe(0o600);
    expect(devSecretKey(root)).toBe(first);
  });

  it('gives each data directory its own key', () => {
    expect(devSecretKey(freshRoot())).not.toBe(devSecretKey(freshRoot()));
  });
});
