import { z } from 'zod';

/** Environment booleans: 1/true/yes/on and 0/false/no/off (any case); anything else is an error. */
export const envBoolean = (defaultValue: boolean) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return defaultValue;
      const normalized = value.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(normalized)) return true;
      if (['0', 'false', 'no', 'off'].includes(normalized)) return false;
      ctx.addIssue({ code: 'custom', message: 'expected one of 1, 0, true, false, yes, no' });
      return z.NEVER;
    });

export const envInt = (defaultValue: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return defaultValue;
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const urlWithProtocols = (protocols: string[]) =>
  z.string().refine((v) => URL.canParse(v) && protocols.includes(new URL(v).protocol), {
    message: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  });

/** Variables every service that touches the queue shares. */
export const QueueEnvFields = {
  REDIS_URL: urlWithProtocols(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  /**
   * The AUTH token apart from the URL, for where it comes from a secret store: an ECS secret
   * fills a whole variable and cannot be spliced into REDIS_URL. A password in the URL wins.
   */
  REDIS_PASSWORD: z.string().min(1, 'must not be empty').optional(),
  /** BullMQ queue name; tests give each run its own. */
  FERRY_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only')
    .default('ferry-imports'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/**
 * How imports reach BullMQ (see QueueFeeder): every API and worker process feeds, so both read
 * these. The window bounds the jobs waiting in BullMQ (each costs Redis some 800 bytes more than an
 * import waiting as a record); the rest wait as records until the workers make room.
 */
export const FeedEnvFields = {
  /** Jobs waiting in BullMQ at most (waiting + prioritized); enough to keep the whole fleet busy. */
  QUEUE_FEED_WINDOW: envInt(1000, 1, 1_000_000),
  /** How often each process looks for room in the window when nothing else has told it to. */
  QUEUE_FEED_POLL_MS: envInt(1000, 50, 60_000),
};

/** Variables for the S3 client (credentials come from the AWS SDK's own chain). */
export const S3EnvFields = {
  S3_ENDPOINT: urlWithProtocols(['http:', 'https:']).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_FORCE_PATH_STYLE: envBoolean(false),
};

export const SourceEnvFields = {
  SOURCE_ALLOW_PRIVATE: envBoolean(false),
};

/** Workers and the autoscaler: CloudWatch metrics as EMF log lines (see metrics/emf-publisher.ts). */
export const EmfEnvFields = {
  /** Seconds between EMF lines on stdout; 0 (the default) publishes none. The CDK app sets 60. */
  METRICS_EMF_INTERVAL_S: envInt(0, 0, 3600),
};
