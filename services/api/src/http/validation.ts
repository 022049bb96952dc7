import { ErrorCode, type ErrorDetail, FerryError } from '@ferry/shared';
import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

const ARTICLE: Record<string, string> = { object: 'an object', array: 'an array', int: 'an integer' };

/**
 * Plain wording for zod's generic issues. Schema-specific messages (bucket rules, key length) are
 * set on the schemas and win over this map. Messages name the rule, never the rejected value:
 * values can be secrets.
 */
export function describeIssue(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${ARTICLE[issue.expected] ?? `a ${issue.expected}`}`;
    case 'invalid_union':
      if ('discriminator' in issue && issue.options) {
        const options = (issue.options as unknown[]).map((o) => JSON.stringify(o)).join(', ');
        return `must be one of ${options}`;
      }
      return undefined;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return 'unknown field';
    default:
      return undefined;
  }
}

function fieldName(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** One detail per offending field; an unknown-keys issue becomes one detail per unknown key. */
export function issueDetails(issues: readonly Issue[]): ErrorDetail[] {
  return issues.flatMap((issue) => {
    const { path } = issue;
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: fieldName([...path, key]), message: 'unknown field' }));
    }
    return [{ field: fieldName(path) || '(body)', message: issue.message }];
  });
}

/** `VALIDATION_FAILED` whose message names every field, e.g. `destination.bucket: bucket name must ...`. */
export function validationFailed(details: ErrorDetail[]): FerryError {
  return new FerryError(
    ErrorCode.VALIDATION_FAILED,
    details.map((d) => `${d.field}: ${d.message}`).join('; '),
    { status: 400, details },
  );
}

/** Parses with the plain-wording issue map; the result's error is ready to send. */
export function parseWith<Schema extends z.ZodType>(
  schema: Schema,
  data: unknown,
): { ok: true; value: z.output<Schema> } | { ok: false; error: FerryError } {
  const parsed = schema.safeParse(data, { error: describeIssue });
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, error: validationFailed(issueDetails(parsed.error.issues)) };
}

/**
 * Fastify validator compiler for zod schemas. Unlike the type provider's own compiler it answers
 * with a FerryError, so the error handler needs no second formatting path. Headers are validated
 * but passed through untouched: replacing them with the parsed object would drop every header the
 * schema does not mention.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  return (data) => {
    const result = parseWith(schema, data);
    if (!result.ok) return { error: result.error };
    return { value: httpPart === 'headers' ? data : result.value };
  };
};
