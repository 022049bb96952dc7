import {
  envInt,
  FailpointsField,
  FeedEnvFields,
  parseEnv,
  QueueEnvFields,
  requireSecretKeyOutsideDev,
  S3EnvFields,
  SecretEnvFields,
  SourceEnvFields,
} from '@ferry/shared';
import { z } from 'zod';
import { AdminKeysField } from './admin/admin-keys.ts';
import { ApiKeysField } from './auth/api-keys.ts';
import { JobsEnvFields } from './jobs/jobs-env.ts';
import { NotifyUrlsField } from './notify/notify-urls.ts';

/** The API's configuration, read from the environment once at start-up. */
export const ApiEnv = requireSecretKeyOutsideDev(
  z.object({
    PORT: envInt(8080, 0, 65535),
    HOST: z.string().min(1, 'must not be empty').default('0.0.0.0'),
    FERRY_API_KEYS: ApiKeysField,
    /** Operator keys of /admin (Bull Board, the fleet page); unset = /admin is not mounted. */
    FERRY_ADMIN_KEYS: AdminKeysField,
    /** Crash tests only: `submit.after-records=exit`, `feed.after-jobs=exit` (see Failpoints). */
    FERRY_FAILPOINTS: FailpointsField,
    /** `tenant=url,...`: each tenant's notify URL for imports that name none. */
    FERRY_NOTIFY_URLS: NotifyUrlsField,
    ...JobsEnvFields,
    ...QueueEnvFields,
    ...FeedEnvFields,
    ...S3EnvFields,
    ...SourceEnvFields,
    ...SecretEnvFields,
  }),
).superRefine(
  (config, ctx) => {
    // A key in both lists would let a tenant open every tenant's jobs on the operator pages.
    if (config.FERRY_ADMIN_KEYS?.some((key) => config.FERRY_API_KEYS.has(key))) {
      ctx.addIssue({
        code: 'custom',
        path: ['FERRY_ADMIN_KEYS'],
        message: 'must not repeat a key of FERRY_API_KEYS: operator keys and tenant keys are separate',
      });
    }
    const tenants = new Set(config.FERRY_API_KEYS.values());
    for (const tenant of config.FERRY_NOTIFY_URLS.keys()) {
      if (!tenants.has(tenant)) {
        ctx.addIssue({
          code: 'custom',
          path: ['FERRY_NOTIFY_URLS'],
          message: `tenant ${tenant} has no key in FERRY_API_KEYS`,
        });
      }
    }
    // As for a client's URL: events and their signatures cross the network in the clear over http.
    if (!config.SOURCE_ALLOW_PRIVATE) {
      for (const [tenant, url] of config.FERRY_NOTIFY_URLS) {
        if (new URL(url).protocol !== 'https:') {
          ctx.addIssue({
            code: 'custom',
            path: ['FERRY_NOTIFY_URLS'],
            message: `the URL of tenant ${tenant} must use https (http only with SOURCE_ALLOW_PRIVATE)`,
          });
        }
      }
    }
  },
  {
    when: (payload) =>
      !payload.issues.some((issue) =>
        ['FERRY_API_KEYS', 'FERRY_ADMIN_KEYS', 'FERRY_NOTIFY_URLS', 'SOURCE_ALLOW_PRIVATE'].includes(
          String(issue.path?.[0]),
        ),
      ),
  },
);
export type ApiConfig = z.infer<typeof ApiEnv>;

/** Throws CONFIG_INVALID naming each bad variable (never its value) when the environment is wrong. */
export function parseApiConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  return parseEnv(ApiEnv, env);
}
