import { z } from 'zod';
import { ErrorCode, FerryError } from '../errors.ts';
import { parseSecretKey, SecretKey } from '../secrets/secret-key.ts';
import { envBoolean } from './env-fields.ts';

const secretKeyField = z
  .string()
  .optional()
  .transform((value, ctx): SecretKey | undefined => {
    if (value === undefined || value.trim() === '') return undefined;
    const key = parseSecretKey(value);
    if (!(key instanceof SecretKey)) {
      ctx.addIssue({ code: 'custom', message: key.problem });
      return z.NEVER;
    }
    return key;
  });

/** Variables of every service that seals or opens provider secrets (the API and the worker). */
export const SecretEnvFields = {
  /** Local development (`ferry up` sets it): the services may start without FERRY_SECRET_KEY. */
  FERRY_DEV: envBoolean(false),
  /** Seals and opens provider secrets at rest: 32 bytes as base64 or 64 hex digits. */
  FERRY_SECRET_KEY: secretKeyField,
  /** The key before a rotation: still opens what it sealed, seals nothing. */
  FERRY_SECRET_KEY_PREVIOUS: secretKeyField,
};

const MISSING_KEY = 'required outside dev mode (FERRY_DEV=1): 32 random bytes as base64 or 64 hex digits';

/** The error when no key is configured outside dev mode, for callers that build a config by hand. */
export function missingSecretKey(): FerryError {
  const field = 'FERRY_SECRET_KEY';
  return new FerryError(ErrorCode.CONFIG_INVALID, `invalid configuration: ${field}: ${MISSING_KEY}`, {
    details: [{ field, message: MISSING_KEY }],
  });
}

interface SecretSettings {
  FERRY_DEV: boolean;
  FERRY_SECRET_KEY: SecretKey | undefined;
}

/**
 * Refuses a config without FERRY_SECRET_KEY unless FERRY_DEV is on. The check also runs when other
 * variables are wrong (when the two it reads parsed), so one start-up error names every problem.
 */
export function requireSecretKeyOutsideDev<Schema extends z.ZodObject>(schema: Schema): Schema {
  return schema.superRefine(
    (config, ctx) => {
      const settings = config as unknown as SecretSettings;
      if (!settings.FERRY_DEV && settings.FERRY_SECRET_KEY === undefined) {
        ctx.addIssue({ code: 'custom', path: ['FERRY_SECRET_KEY'], message: MISSING_KEY });
      }
    },
    {
      when: (payload) =>
        !payload.issues.some((issue) => ['FERRY_DEV', 'FERRY_SECRET_KEY'].includes(String(issue.path?.[0]))),
    },
  );
}

/** The secret variables alone: for tools (the bench, test harnesses) that seal or open as a service would. */
export const SecretEnv = requireSecretKeyOutsideDev(z.object(SecretEnvFields));
export type SecretConfig = z.infer<typeof SecretEnv>;
