import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ErrorCode, type FerryError } from '../errors.ts';
import { SecretBox } from './secret-box.ts';
import { SecretKey } from './secret-key.ts';

const SECRET = 'Bearer tok_live_7d1c0a9f';
const newKey = () => new SecretKey(randomBytes(32));

function openError(box: SecretBox, sealed: string, context?: string): FerryError {
  try {
    box.open(sealed, context);
  } catch (error) {
    return error as FerryError;
  }
  throw new Error('expected the open to fail');
}

/** `sealed` with one byte of its `part`-th dot-separated piece flipped. */
function flipByte(sealed: string, part: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part] ?? '', 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('SecretBox', () => {
  it('seals to v1.<keyId>.<iv>.<ciphertext>.<tag> and opens it again', () => {
    const key = newKey();
    const box = new SecretBox(key);
    const sealed = box.seal(SECRET, 'ctx');
    expect(sealed.split('.')).toHaveLength(5);
    expect(sealed.startsWith(`v1.${key.id}.`)).toBe(true);
    expect(sealed).not.toContain(SECRET);
    expect(box.open(sealed, 'ctx')).toBe(SECRET);
    expect(box.open(box.seal(''))).toBe('');
  });

  it('uses a fresh IV for every seal', () => {
    const box = new SecretBox(newKey());
    const seals = new Set(Array.from({ length: 20 }, () => box.seal(SECRET)));
    expect(seals.size).toBe(20);
    expect(new Set([...seals].map((s) => s.split('.')[2])).size).toBe(20);
  });

  it.each([
    ['IV', 2],
    ['ciphertext', 3],
    ['tag', 4],
  ])('refuses a sealed string whose %s was altered, with SECRET_UNREADABLE', (_name, part) => {
    const box = new SecretBox(newKey());
    const error = openError(box, flipByte(box.seal(SECRET), part));
    expect(error.code).toBe(ErrorCode.SECRET_UNREADABLE);
    expect(error.message).not.toContain(SECRET);
  });

  it('refuses the right string under another context, a malformed one, and one of an unknown key', () => {
    const box = new SecretBox(newKey());
    const sealed = box.seal(SECRET, 'http.headers');
    expect(openError(box, sealed, 'dropbox.credentials').code).toBe(ErrorCode.SECRET_UNREADABLE);
    expect(openError(box, 'v1.abc').code).toBe(ErrorCode.SECRET_UNREADABLE);
    expect(openError(box, sealed.replace(/^v1/, 'v9'), 'http.headers').code).toBe(
      ErrorCode.SECRET_UNREADABLE,
    );
    const stranger = new SecretBox(newKey());
    const unknown = openError(stranger, sealed, 'http.headers');
    expect(unknown.code).toBe(ErrorCode.SECRET_UNREADABLE);
    expect(unknown.message).toContain(box.seal('x').split('.')[1]);
    expect(JSON.stringify(unknown)).not.toContain(SECRET);
  });

  it('rotates: the new key seals, the previous key still opens what it sealed', () => {
    const [oldKey, newer] = [newKey(), newKey()];
    const before = new SecretBox(oldKey).seal(SECRET);
    const rotated = new SecretBox(newer, [oldKey]);
    expect(rotated.open(before)).toBe(SECRET);
    const after = rotated.seal(SECRET);
    expect(after.split('.')[1]).toBe(newer.id);
    // Once the previous key is dropped, only what the current key sealed opens.
    const retired = new SecretBox(newer);
    expect(retired.open(after)).toBe(SECRET);
    expect(openError(retired, before).code).toBe(ErrorCode.SECRET_UNREADABLE);
  });

  it('fingerprints text with a key: same text matches, across a rotation too; other text does not', () => {
    const [oldKey, newer] = [newKey(), newKey()];
    const before = new SecretBox(oldKey).fingerprint(SECRET);
    expect(before.value).not.toContain(SECRET);
    expect(before.value).not.toBe(new SecretBox(newer).fingerprint(SECRET).value);
    const rotated = new SecretBox(newer, [oldKey]);
    expect(rotated.fingerprint(SECRET).matches(before.value)).toBe(true);
    expect(rotated.fingerprint('other').matches(before.value)).toBe(false);
    expect(new SecretBox(newer).fingerprint(SECRET).matches(before.value)).toBe(false);
    expect(rotated.fingerprint(SECRET).matches('garbage')).toBe(false);
  });
});

describe('SecretKey', () => {
  it('prints as its id only', () => {
    const bytes = randomBytes(32);
    const key = new SecretKey(bytes);
    for (const shown of [JSON.stringify({ key }), inspect(key), String(inspect({ nested: { key } }))]) {
      expect(shown).toContain(key.id);
      expect(shown).not.toContain(bytes.toString('base64'));
      expect(shown).not.toContain(bytes.toString('hex'));
    }
  });
});
