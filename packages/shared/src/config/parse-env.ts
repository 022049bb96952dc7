import type { z } from 'zod';
import { ErrorCode, FerryError } from '../errors.ts';

/**
 * Parses a service's environment once at boot. A missing or malformed variable stops start-up with
 * a message that names every offending variable (never its value: it may be a secret).
 */
export function parseEnv<Schema extends z.ZodType>(
  schema: Schema,
  env: Record<string, string | undefined> = process.env,
): z.infer<Schema> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`,
  );
  throw new FerryError(ErrorCode.CONFIG_INVALID, `invalid configuration: ${problems.join('; ')}`, {
    details: parsed.error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message })),
  });
}
