import {
  ErrorCode,
  type Failpoints,
  IMPORT_JOB_NAME,
  type ImportError,
  ImportJobData,
  type ImportRecord,
  type ImportResult,
  type ImportStore,
  type Logger,
  openRequest,
  type SecretBox,
  type TransitionOutcome,
} from '@ferry/shared';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { toTransferError } from '../errors/transfer-error.ts';
import { RateLimitedError } from '../limits/rate-limited-error.ts';
import type { WorkerMetrics } from '../metrics/worker-metrics.ts';
import { openSource, type SourceDeps } from '../sources/open-source.ts';
import { describeAttempt, inAttemptSpan } from '../telemetry/attempt-span.ts';
import { discardUpload } from '../transfer/discard-upload.ts';
import { importFile } from '../transfer/import-file.ts';
import { reconcileCheckpoint } from '../transfer/reconcile-checkpoint.ts';
import {
  type TransferContext,
  type TransferOutcome,
  TransferProgress,
} from '../transfer/transfer-context.ts';
import { countIdleLostAttempts } from './lost-workers.ts';
import { startProgressReporter } from './progress-reporter.ts';
import type { RunningImports } from './running-imports.ts';

/** The worker-wide settings every import's transfer shares. */
type SharedTransferSettings = Pick<
  TransferContext,
  | 'sink'
  | 'checkpoints'
  | 'memory'
  | 'onSourceChange'
  | 'partSize'
  | 'partConcurrency'
  | 'partTries'
  | 'partBackoff'
  | 'random'
  | 'now'
>;

/**
 * How many times in a row an import may lose its worker without a drain (SIGKILL, out of memory, a
 * host gone) and without checkpointing a part, and still be resumed; after that it is likely what
 * kills them (see jobs/lost-workers.ts). Each loss costs the parts in flight.
 */
export const MAX_LOST_WORKERS = 3;

export interface ProcessorDeps extends SharedTransferSettings, Omit<SourceDeps, 'importId'> {
  store: ImportStore;
  running: RunningImports;
  progressIntervalMs: number;
  logger: Logger;
  /** Opens the import's sealed source secrets, right before the source is read. */
  secrets: SecretBox;
  metrics: WorkerMetrics;
  failpoints: Failpoints;
}

/**
 * The BullMQ processor for import jobs: the status protocol around one transfer. What happens to the
 * job afterwards follows from how the transfer ended: completed; canceled (cleaned up, the job
 * completes so it is not retried); drained (handed back to the queue without using an attempt);
 * failed for good (UnrecoverableError); or failed for now (rethrown so BullMQ retries it, resuming
 * from the checkpoint).
 */
export function createImportProcessor(deps: ProcessorDeps) {
  const cleanup = { sink: deps.sink, checkpoints: deps.checkpoints };

  /** One attempt at a job whose data is valid: the status protocol around its transfer. */
  const runAttempt = async (
    job: Job,
    token: string | undefined,
    data: ImportJobData,
    attempt: number,
  ): Promise<ImportResult | undefined> => {
    const { importId } = data;
    const logger = deps.logger.child({ importId, attempt });

    // BullMQ counts the times the job was found stalled. Its own limit would fail the job without
    // running this processor, leaving the record running and the upload open; this one does not,
    // and counts only the lost attempts that moved nothing.
    const lost = await countIdleLostAttempts(importId, job.stalledCounter, deps);
    if (lost.idle > MAX_LOST_WORKERS) {
      const message = `the worker running this import was lost ${lost.idle} times in a row without moving a part (killed, out of memory or its host gone); not trying again`;
      logger.warn({ lost: lost.idle, stalls: job.stalledCounter }, 'import failed: too many lost workers');
      await discardUpload(importId, { ...cleanup, logger });
      await deps.store.markFailed(importId, { code: ErrorCode.WORKER_LOST, message, attempts: attempt });
      deps.metrics.importFinished('failed', ErrorCode.WORKER_LOST);
      throw new UnrecoverableError(`${ErrorCode.WORKER_LOST}: ${message}`);
    }

    // Registered before the record says running, so a cancel published right after is not missed.
    const control = deps.running.start(importId);
    let claim: TransitionOutcome;
    let runnable: Pick<ImportRecord, 'tenant' | 'request'> | null = null;
    try {
      claim = await deps.store.markRunning(importId, attempt);
      // A job an earlier API queued carries the record's copy of the request (sealed alike) and runs
      // from it; every other job holds the id alone, and the record, now running, has the rest.
      if (claim.ok) {
        runnable =
          data.request && data.tenant
            ? { tenant: data.tenant, request: data.request }
            : await deps.store.get(importId);
      }
    } catch (error) {
      deps.running.finish(importId, control);
      throw error;
    }
    if (!claim.ok || runnable === null) {
      deps.running.finish(importId, control);
      // No record (the job outlived it) reads as a record that is gone, whichever read found out.
      const status = claim.ok ? null : claim.current;
      logger.info({ status }, 'import is not runnable; skipping');
      // Canceled while waiting for a retry: the earlier attempt's upload is still open.
      if (status === 'canceled' || status === null) {
        await discardUpload(importId, { ...cleanup, logger });
      }
      return undefined;
    }
    const { request } = runnable;
    describeAttempt(runnable.tenant, request.source.type);

    await lost.save();
    logger.info({ destination: request.destination }, 'import started');
    const progress = new TransferProgress();
    const reporter = startProgressReporter({
      importId,
      store: deps.store,
      progress,
      control,
      logger,
      intervalMs: deps.progressIntervalMs,
    });
    let outcome: TransferOutcome | undefined;
    let failure: unknown;
    try {
      await reconcileCheckpoint(importId, { ...cleanup, logger, signal: control.abort });
      outcome = await importFile({
        importId,
        destination: request.destination,
        source: openSource(openRequest(request, deps.secrets).source, { ...deps, importId }),
        expected: request.source.expected,
        overwrite: request.overwrite ?? 'always',
        sink: deps.sink,
        checkpoints: deps.checkpoints,
        memory: deps.memory,
        onSourceChange: deps.onSourceChange,
        partSize: deps.partSize,
        partConcurrency: deps.partConcurrency,
        partTries: deps.partTries,
        partBackoff: deps.partBackoff,
        stop: control.stop,
        abort: control.abort,
        progress,
        meter: deps.metrics.transferMeter(request.source.type),
        logger,
        failpoints: deps.failpoints,
        random: deps.random,
        now: deps.now,
      });
    } catch (error) {
      failure = error;
    } finally {
      deps.running.finish(importId, control);
      await reporter.stop();
    }

    if (control.reason === 'lock-lost' && outcome?.kind !== 'completed') {
      // Nothing about the job or the record is this worker's to change any more; a failure thrown
      // here is refused by BullMQ if the job has moved on, and retried from the checkpoint if not.
      logger.warn(
        { bytesDone: progress.done },
        'job lock lost: stopped; the job resumes from its checkpoint',
      );
      throw new Error('the job lock was lost while the import ran');
    }

    if (control.reason === 'canceled') {
      await discardUpload(importId, { ...cleanup, logger });
      deps.metrics.importFinished('canceled', 'none');
      logger.info('import canceled');
      return undefined;
    }

    if (outcome?.kind === 'completed') {
      // The checkpoint goes with the transition: whoever sees the record final sees nothing left
      // behind, and a crash before it leaves the checkpoint that recognises the completed object.
      const marked = await deps.store.markCompleted(importId, outcome.result, [
        deps.checkpoints.key(importId),
      ]);
      // Completed and its event in the outbox, the job not yet completed in BullMQ: a crash here must
      // neither lose the event nor send it twice once the job is run again.
      deps.failpoints.hit('import.after-complete');
      if (!marked.ok) {
        await deps.checkpoints.delete(importId);
        logger.warn({ status: marked.current }, 'import finished but its record had moved on');
      }
      const { skipped, skipReason, size, durationMs } = outcome.result;
      deps.metrics.importFinished(skipped ? 'skipped' : 'completed', 'none');
      logger.info(
        { size, durationMs, ...(skipped ? { skipReason } : {}) },
        skipped ? 'import completed without writing: the destination was left as it is' : 'import completed',
      );
      return outcome.result;
    }

    // Interrupted by the drain, or failing only because the drain deadline cut its requests off.
    if (outcome?.kind === 'interrupted' || control.abort.aborted) {
      await deps.store.transition(importId, 'queued', ['running']);
      await job.moveToDelayed(Date.now(), token);
      logger.info({ bytesDone: progress.done }, 'import handed back to the queue');
      throw new DelayedError();
    }

    const error = toTransferError(failure);
    if (error instanceof RateLimitedError) {
      // The provider account or HTTP host is paused fleet-wide for longer than a request waits: the
      // job waits in the delayed set instead, without using an attempt, and resumes from its checkpoint.
      const retryAt = retryAtOf(error, deps.now(), deps.random);
      await deps.store.transition(importId, 'queued', ['running']);
      await job.moveToDelayed(retryAt, token);
      logger.info({ retryAt: new Date(retryAt).toISOString() }, 'rate limited: import waits');
      throw new DelayedError();
    }
    const record: ImportError = { code: error.code, message: error.message, attempts: attempt };
    const lastAttempt = attempt >= (job.opts.attempts ?? 1);
    if (!error.retryable || lastAttempt) {
      await discardUpload(importId, { ...cleanup, logger });
      await deps.store.markFailed(importId, record);
      deps.metrics.importFinished('failed', error.code);
      logger.warn({ code: error.code, reason: error.message }, 'import failed');
      throw new UnrecoverableError(`${error.code}: ${error.message}`);
    }
    const retrying = await deps.store.markRetrying(importId, record);
    if (!retrying.ok && (retrying.current === 'canceled' || retrying.current === null)) {
      await discardUpload(importId, { ...cleanup, logger });
      deps.metrics.importFinished('canceled', 'none');
      return undefined;
    }
    logger.warn({ code: error.code, reason: error.message }, 'import attempt failed; will retry');
    throw error;
  };

  return async (job: Job, token?: string): Promise<ImportResult | undefined> => {
    const attempt = job.attemptsMade + 1;
    const parsed = ImportJobData.safeParse(job.data);
    if (job.name !== IMPORT_JOB_NAME || !parsed.success) {
      const importId = (job.data as { importId?: unknown } | null)?.importId;
      const id = typeof importId === 'string' ? importId : (job.id ?? '');
      const message =
        job.name !== IMPORT_JOB_NAME
          ? `unknown job name "${job.name}"`
          : `invalid job data: ${parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
      deps.logger.error({ importId: id, jobId: job.id }, message);
      await deps.store.markFailed(id, { code: ErrorCode.VALIDATION_FAILED, message, attempts: attempt });
      deps.metrics.importFinished('failed', ErrorCode.VALIDATION_FAILED);
      throw new UnrecoverableError(message);
    }
    return inAttemptSpan(job, parsed.data, attempt, () => runAttempt(job, token, parsed.data, attempt));
  };
}

/** Spread over this much after the pause ends, so the jobs one pause delayed do not all wake at once. */
const WAKE_SPREAD_MS = 2_000;

/** When a rate-limited import may run again: the limiter's word, else a short while from now. */
function retryAtOf(error: RateLimitedError, now: number, random: () => number): number {
  const pauseEnds = error.retryAt > now ? error.retryAt : now + 5_000;
  return pauseEnds + Math.floor(random() * WAKE_SPREAD_MS);
}
