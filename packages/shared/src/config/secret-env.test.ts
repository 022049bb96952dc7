import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FerryError } from '../errors.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { DEV_SECRET_KEY, SecretKey } from '../secrets/secret-key.ts';
import { parseEnv } from './parse-env.ts';
import { requireSecretKeyOutsideDev, SecretEnv, SecretEnvFields } from './secret-env.ts';

const bytes = randomBytes(32);
const BASE64 = bytes.toString('base64');

function refusal(env: Record<string, string>, schema: z.ZodType = SecretEnv): FerryError {
  try {
    parseEnv(schema, env);
  } catch (error) {
    return error as FerryError;
  }
  throw new Error('expected the configuration to be refused');
}

describe('secret key configuration', () => {
  it.each([
    ['base64', BASE64],
    ['base64url without padding', bytes.toString('base64url')],
    ['hex', bytes.toString('hex')],
    ['hex with a trailing newline', `${bytes.toString('hex')}\n`],
  ])('reads a key given as %s', (_, value) => {
    const config = parseEnv(SecretEnv, { FERRY_SECRET_KEY: value });
    expect(config.FERRY_SECRET_KEY?.id).toBe(new SecretKey(bytes).id);
    expect(config.FERRY_DEV).toBe(false);
  });

  it.each([
    ['too short', randomBytes(16).toString('base64')],
    ['too long', randomBytes(48).toString('base64')],
    ['not base64', `${BASE64.slice(0, 40)}!!!=`],
    ['63 hex digits', bytes.toString('hex').slice(1)],
  ])('refuses a key that is %s, naming the variable but never the value', (_, value) => {
    for (const name of ['FERRY_SECRET_KEY', 'FERRY_SECRET_KEY_PREVIOUS']) {
      const error = refusal({ FERRY_SECRET_KEY: BASE64, [name]: value });
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain(`${name}: expected 32 random bytes`);
      expect(error.message).not.toContain(value);
      expect(JSON.stringify(error)).not.toContain(value);
      expect(JSON.stringify(error)).not.toContain(BASE64);
    }
  });

  it('requires FERRY_SECRET_KEY outside dev mode, alongside the other problems', () => {
    const schema = requireSecretKeyOutsideDev(z.object({ PORT: z.string(), ...SecretEnvFields }));
    const error = refusal({}, schema);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/FERRY_SECRET_KEY: required outside dev mode/);
    expect(error.message).toMatch(/PORT/);
  });

  it('starts without a key in dev mode, sealing with the dev key', () => {
    const config = parseEnv(SecretEnv, { FERRY_DEV: '1' });
    const warnings: string[] = [];
    const box = SecretBox.fromConfig(config, { warn: (message) => warnings.push(message) });
    expect(box.seal('x').split('.')[1]).toBe(DEV_SECRET_KEY.id);
    expect(warnings).toHaveLength(1);
    // A configured key wins over the dev key, silently.
    const keyed = SecretBox.fromConfig(parseEnv(SecretEnv, { FERRY_DEV: '1', FERRY_SECRET_KEY: BASE64 }), {
      warn: (message) => warnings.push(message),
    });
    expect(keyed.seal('x').split('.')[1]).toBe(new SecretKey(bytes).id);
    expect(warnings).toHaveLength(1);
  });

  it('refuses a hand-built config without a key outside dev mode', () => {
    expect(() =>
      SecretBox.fromConfig({
        FERRY_DEV: false,
        FERRY_SECRET_KEY: undefined,
        FERRY_SECRET_KEY_PREVIOUS: undefined,
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('FERRY_SECRET_KEY'),
      }),
    );
  });

  it('opens with FERRY_SECRET_KEY_PREVIOUS and seals with FERRY_SECRET_KEY', () => {
    const previous = randomBytes(32).toString('hex');
    const old = SecretBox.fromConfig(parseEnv(SecretEnv, { FERRY_SECRET_KEY: previous }));
    const sealed = old.seal('s');
    const rotated = SecretBox.fromConfig(
      parseEnv(SecretEnv, { FERRY_SECRET_KEY: BASE64, FERRY_SECRET_KEY_PREVIOUS: previous }),
    );
    expect(rotated.open(sealed)).toBe('s');
    expect(rotated.seal('s').split('.')[1]).toBe(new SecretKey(bytes).id);
  });
});
