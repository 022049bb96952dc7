import {
  envInt,
  parseEnv,
  QueueEnvFields,
  requireSecretKeyOutsideDev,
  SecretEnvFields,
  SourceEnvFields,
} from '@ferry/shared';
import { z } from 'zod';
import { ApiKeysField } from './auth/api-keys.ts';

/** The API's configuration, read from the environment once at start-up. */
export const ApiEnv = requireSecretKeyOutsideDev(
  z.object({
    PORT: envInt(8080, 0, 65535),
    HOST: z.string().min(1, 'must not be empty').default('0.0.0.0'),
    FERRY_API_KEYS: ApiKeysField,
    /** An import written this long ago whose job is still not known to be queued gets it queued. */
    REQUEUE_AFTER_S: envInt(60, 1, 3600),
    ...QueueEnvFields,
    ...SourceEnvFields,
    ...SecretEnvFields,
  }),
);
export type ApiConfig = z.infer<typeof ApiEnv>;

/** Throws CONFIG_INVALID naming each bad variable (never its value) when the environment is wrong. */
export function parseApiConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  return parseEnv(ApiEnv, env);
}
