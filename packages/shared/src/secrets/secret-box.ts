import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseEnv } from '../config/parse-env.ts';
import { missingSecretKey, type SecretConfig, SecretEnv } from '../config/secret-env.ts';
import { ErrorCode, FerryError } from '../errors.ts';
import { DEV_SECRET_KEY, type SecretKey } from './secret-key.ts';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEAL_PURPOSE = 'ferry seal v1';
const FINGERPRINT_PURPOSE = 'ferry fingerprint v1';

/** A keyed digest of some text, comparable later without the text ever being stored. */
export interface Fingerprint {
  /** `<keyId>.<HMAC-SHA256, base64url>`: safe to store, useless without the key. */
  readonly value: string;
  /** Whether a stored fingerprint is of the same text (under whichever known key made it). */
  matches(stored: string): boolean;
}

interface KeyMaterial {
  seal: Buffer;
  fingerprint: Buffer;
}

function unreadable(reason: string): FerryError {
  return new FerryError(ErrorCode.SECRET_UNREADABLE, `a sealed secret could not be opened: ${reason}`);
}

/**
 * Seals secrets for storage with AES-256-GCM: a random 12-byte IV per seal and a 16-byte tag, so a
 * changed byte anywhere fails the open. Sealed strings name the key that sealed them,
 * `v1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url), so after a rotation the previous key still
 * opens what it sealed while only the current key seals.
 */
export class SecretBox {
  readonly #currentId: string;
  readonly #current: KeyMaterial;
  readonly #keys = new Map<string, KeyMaterial>();

  constructor(current: SecretKey, previous: readonly SecretKey[] = []) {
    this.#currentId = current.id;
    this.#current = keyMaterial(current);
    this.#keys.set(current.id, this.#current);
    for (const key of previous) {
      if (!this.#keys.has(key.id)) this.#keys.set(key.id, keyMaterial(key));
    }
  }

  /**
   * The box a service's configuration describes. Dev mode without a key uses the public dev key,
   * and says so on `logger`; outside dev mode a missing key is a configuration error.
   */
  static fromConfig(config: SecretConfig, logger?: { warn(message: string): void }): SecretBox {
    const previous = config.FERRY_SECRET_KEY_PREVIOUS ? [config.FERRY_SECRET_KEY_PREVIOUS] : [];
    if (config.FERRY_SECRET_KEY) return new SecretBox(config.FERRY_SECRET_KEY, previous);
    if (!config.FERRY_DEV) throw missingSecretKey();
    logger?.warn('FERRY_DEV without FERRY_SECRET_KEY: secrets are sealed with the public dev key');
    return new SecretBox(DEV_SECRET_KEY, previous);
  }

  /** The box the secret variables of `env` describe: for tools that seal or open as a service would. */
  static fromEnv(env: Record<string, string | undefined> = process.env): SecretBox {
    return SecretBox.fromConfig(parseEnv(SecretEnv, env));
  }

  /** Seals `plaintext`; `context` (not secret, not stored) must be given again to open it. */
  seal(plaintext: string, context = ''): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#current.seal, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, this.#currentId, iv, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** Opens what seal() made, or throws SECRET_UNREADABLE (malformed, unknown key, or tampered). */
  open(sealed: string, context = ''): string {
    const parts = sealed.split('.');
    const [version, keyId = '', iv = '', ciphertext = '', tag = ''] = parts;
    if (parts.length !== 5 || version !== VERSION) throw unreadable(`not a ${VERSION} sealed string`);
    const key = this.#keys.get(keyId);
    if (!key) throw unreadable(`it was sealed with key ${keyId}, which this service does not hold`);
    const ivBytes = Buffer.from(iv, 'base64url');
    const tagBytes = Buffer.from(tag, 'base64url');
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw unreadable('malformed');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.seal, ivBytes, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw unreadable('it fails authentication (altered, or not sealed with this key)');
    }
  }

  /** A keyed fingerprint of `text` with the current key (a plain hash of a secret could be guessed). */
  fingerprint(text: string): Fingerprint {
    const value = `${this.#currentId}.${hmac(this.#current, text).toString('base64url')}`;
    return {
      value,
      matches: (stored) => {
        const [keyId = '', digest = ''] = stored.split('.');
        const key = this.#keys.get(keyId);
        if (!key) return false;
        const expected = hmac(key, text);
        const given = Buffer.from(digest, 'base64url');
        return given.length === expected.length && timingSafeEqual(given, expected);
      },
    };
  }
}

function keyMaterial(key: SecretKey): KeyMaterial {
  return { seal: key.derive(SEAL_PURPOSE), fingerprint: key.derive(FINGERPRINT_PURPOSE) };
}

function hmac(key: KeyMaterial, text: string): Buffer {
  return createHmac('sha256', key.fingerprint).update(text, 'utf8').digest();
}
