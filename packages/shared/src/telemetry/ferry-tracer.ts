import { type Attributes, type Link, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { tracingActive } from './active-tracing.ts';

/** Ferry's own spans; the global API hands back no-op spans until an SDK is registered. */
export const ferryTracer = trace.getTracer('ferry');

/**
 * Runs `fn` in a span named `name`, a child of the active one, ended when `fn` settles and marked
 * failed (with `error.type`, never the message) when it throws. With tracing off `fn` runs as it is
 * and gets null: no span is made, and attributes given as a function are not even computed.
 */
export async function inSpan<T>(
  name: string,
  attributes: Attributes | (() => Attributes),
  fn: (span: Span | null) => Promise<T>,
  links?: Link[],
): Promise<T> {
  if (!tracingActive()) return fn(null);
  const options = {
    attributes: typeof attributes === 'function' ? attributes() : attributes,
    ...(links ? { links } : {}),
  };
  return ferryTracer.startActiveSpan(name, options, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Marks a span failed by the error's stable code (or its class name). Messages stay out: a source's
 * error text is the source's to choose, and a URL or header in it would end up in the trace.
 */
export function markFailed(span: Span, error: unknown): void {
  const type = errorType(error);
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

export function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code) return code;
  return error instanceof Error ? error.name : 'Error';
}
