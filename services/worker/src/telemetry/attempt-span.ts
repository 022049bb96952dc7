import { ferryTracer, type ImportJobData, markFailed, SpanAttr, tracingActive } from '@ferry/shared';
import { type Link, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';

/**
 * Runs one attempt at an import in a `ferry.import` span: a child of BullMQ's `process` span, so in
 * the trace the submit started. An earlier attempt (a retry, or one whose worker was killed) is in
 * the same trace already; the job names its span, and this one links to it. The attempt's own span
 * is written into the job before the work starts, so even a SIGKILL mid-transfer leaves the next
 * attempt something to link to. With tracing off `run` runs as it is.
 */
export async function inAttemptSpan<T>(
  job: Job,
  data: ImportJobData,
  attempt: number,
  run: () => Promise<T>,
): Promise<T> {
  if (!tracingActive()) return run();
  const links: Link[] = data.lastAttempt
    ? [{ context: { ...data.lastAttempt, traceFlags: 1 }, attributes: { 'ferry.link': 'previous-attempt' } }]
    : [];
  // The tenant and the source type are known once the record is read (see describeAttempt).
  const attributes = {
    [SpanAttr.IMPORT_ID]: data.importId,
    [SpanAttr.ATTEMPT]: attempt,
    'messaging.message.id': job.id ?? data.importId,
  };
  return ferryTracer.startActiveSpan('ferry.import', { attributes, links }, async (span) => {
    try {
      await rememberAttempt(job, data, span);
      const result = await run();
      span.setAttribute(SpanAttr.OUTCOME, result === undefined ? 'not-run' : 'completed');
      return result;
    } catch (error) {
      endedBy(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Names the attempt's tenant and source type on its span, once the processor has read them from the
 * record (the job holds the import's id alone). Nothing while tracing is off.
 */
export function describeAttempt(tenant: string, sourceType: string): void {
  trace.getActiveSpan()?.setAttributes({ [SpanAttr.TENANT]: tenant, [SpanAttr.SOURCE_TYPE]: sourceType });
}

async function rememberAttempt(job: Job, data: ImportJobData, span: Span): Promise<void> {
  if (!span.isRecording()) return;
  const { traceId, spanId } = span.spanContext();
  // Not worth failing the attempt over: without it the next attempt is merely unlinked.
  await job.updateData({ ...data, lastAttempt: { traceId, spanId } }).catch(() => {});
}

/** How the processor's throw ended the attempt: handed back or delayed is no failure. */
function endedBy(span: Span, error: unknown): void {
  if (error instanceof DelayedError) {
    span.setAttribute(SpanAttr.OUTCOME, 'handed-back');
    span.setStatus({ code: SpanStatusCode.UNSET });
    return;
  }
  span.setAttribute(SpanAttr.OUTCOME, error instanceof UnrecoverableError ? 'failed' : 'retrying');
  // The processor's UnrecoverableErrors read `CODE: message`; the code is what the span keeps.
  const code = error instanceof Error ? /^([A-Z][A-Z0-9_]+):/.exec(error.message)?.[1] : undefined;
  markFailed(span, code ? { code } : error);
}
