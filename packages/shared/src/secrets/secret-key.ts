import { createHash, hkdfSync } from 'node:crypto';
import { inspect } from 'node:util';

const KEY_BYTES = 32;
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$|^[A-Za-z0-9_-]{43}=?$/;
const HEX_KEY = /^[0-9a-fA-F]{64}$/;

/**
 * A 32-byte master key. Its bytes never leave this object except as derived subkeys, and it prints
 * (JSON, console, pino) as its id only, so a config object holding one is safe to log by accident.
 */
export class SecretKey {
  /** Names the key in sealed strings, so the right key opens them after a rotation. Not secret. */
  readonly id: string;
  readonly #bytes: Buffer;

  constructor(bytes: Buffer) {
    if (bytes.length !== KEY_BYTES) throw new RangeError(`a secret key is ${KEY_BYTES} bytes`);
    this.#bytes = Buffer.from(bytes);
    this.id = this.derive('ferry key id v1', 6).toString('base64url');
  }

  /** A subkey for one purpose (HKDF-SHA256): sealing and fingerprinting never share key material. */
  derive(purpose: string, length = KEY_BYTES): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#bytes, Buffer.alloc(0), purpose, length));
  }

  toJSON(): string {
    return `[secret key ${this.id}]`;
  }

  [inspect.custom](): string {
    return this.toJSON();
  }
}

/**
 * Parses a key given as base64 (standard or URL alphabet) or as 64 hex digits. A problem is
 * described without the value, which may be a real key with a typo.
 */
export function parseSecretKey(value: string): SecretKey | { problem: string } {
  const text = value.trim();
  if (HEX_KEY.test(text)) return new SecretKey(Buffer.from(text, 'hex'));
  if (BASE64_KEY.test(text)) return new SecretKey(Buffer.from(text, 'base64'));
  return { problem: `expected ${KEY_BYTES} random bytes as base64 (44 characters) or as 64 hex digits` };
}

/**
 * The key dev mode (FERRY_DEV=1) seals with when none is configured. It is public, so it protects
 * nothing; it only lets separately started dev processes agree without any setup.
 */
export const DEV_SECRET_KEY = new SecretKey(
  createHash('sha256').update('ferry dev mode: not a secret').digest(),
);
