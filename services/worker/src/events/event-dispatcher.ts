import {
  type EventSink,
  type Failpoints,
  type ImportStore,
  importEvent,
  importEventId,
  isJobEventType,
  type JobStore,
  jobEvent,
  jobEventId,
  type Logger,
  type NotifyState,
  openNotifyUrl,
  type SecretBox,
  type StoredNotifyTarget,
  type WebhookSecrets,
} from '@ferry/shared';
import type { Redis } from 'ioredis';
import type { EventOutcome, WorkerMetrics } from '../metrics/worker-metrics.ts';
import { backoffDelay } from '../transfer/backoff.ts';
import { type DeliveryResult, failureReason } from './delivery-result.ts';
import type { DeliverySettings } from './events-env.ts';
import type { Outbox, OutboxClaim } from './outbox.ts';
import type { SqsPublisher } from './sqs-publisher.ts';
import type { WebhookSender } from './webhook-sender.ts';

export interface EventDispatcherDeps {
  redis: Redis;
  store: ImportStore;
  /** Transfer jobs: job.* events are made from their records. */
  jobs: JobStore;
  outbox: Outbox;
  webhooks: WebhookSender;
  /** Null when this worker has no EVENTS_SQS_QUEUE_URL. */
  sqs: SqsPublisher | null;
  signingSecrets: WebhookSecrets;
  /** Opens sealed notify URLs. */
  box: SecretBox;
  failpoints: Failpoints;
  settings: DeliverySettings;
  metrics: Pick<WorkerMetrics, 'eventSettled'>;
  logger: Logger;
  now: () => number;
  random: () => number;
}

export interface EventDispatcher {
  /** Resolves once SQS publishing is announced (at once without SQS); rejects if Redis refused it. */
  ready: Promise<void>;
  /** Stops claiming and waits for the deliveries in hand (each bounded by its timeout). */
  close(): Promise<void>;
}

const SINKS: readonly EventSink[] = ['webhook', 'sqs'];
/**
 * How long "a worker publishes to SQS" holds without being said again (see StoreKeys.sqsEventsOn):
 * long enough that a fleet scaled to zero for days still has the API's cancels queued for SQS, and
 * short enough that a queue switched off stops collecting entries (each given up after a day) soon.
 */
const SQS_ON_TTL_MS = 7 * 24 * 3_600_000;
const SQS_ON_REFRESH_MS = 60_000;

/**
 * Delivers the outbox's events, at least once, from every worker process: each poll claims the due
 * entries of each sink (a lease, so workers never deliver one event at the same time and a dead one's
 * claims come due again), sends them, and settles each as delivered, due again after a capped,
 * jittered backoff, or given up once the give-up period since the import turned final has passed.
 */
export function startEventDispatcher(deps: EventDispatcherDeps): EventDispatcher {
  const { settings, logger } = deps;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let tick: Promise<void> = Promise.resolve();
  let sqsAnnouncedAt = Number.NEGATIVE_INFINITY;

  const announceSqs = async (): Promise<void> => {
    if (!deps.sqs || deps.now() - sqsAnnouncedAt < SQS_ON_REFRESH_MS) return;
    await deps.redis.set(deps.store.keys.sqsEventsOn(), '1', 'PX', SQS_ON_TTL_MS);
    sqsAnnouncedAt = deps.now();
  };

  const poll = async (): Promise<void> => {
    let full = false;
    try {
      await announceSqs();
      for (const sink of SINKS) {
        if (stopped) break;
        const claims = await deps.outbox.claimDue(sink, deps.now(), settings.leaseMs, settings.batchSize);
        full ||= claims.length === settings.batchSize;
        await Promise.all(claims.map((claim) => deliver(claim)));
      }
    } catch (error) {
      logger.warn({ err: error }, 'event dispatch failed; trying again');
    }
    // A full batch may have more behind it: look again at once.
    if (!stopped) timer = setTimeout(() => (tick = poll()), full ? 0 : settings.pollMs);
  };

  /** The event's body and whom it goes to, from the record it is about; null when that is gone. */
  const eventOf = async (
    claim: OutboxClaim,
  ): Promise<{ eventId: string; body: string; tenant: string; notify?: StoredNotifyTarget } | null> => {
    if (isJobEventType(claim.type)) {
      const job = await deps.jobs.get(claim.importId);
      if (!job) return null;
      return {
        eventId: jobEventId(job.id),
        body: JSON.stringify(jobEvent(job, claim.type, claim.at)),
        tenant: job.tenant,
        ...(job.spec.notify ? { notify: job.spec.notify } : {}),
      };
    }
    const record = await deps.store.get(claim.importId);
    if (!record) return null;
    return {
      eventId: importEventId(record.id),
      body: JSON.stringify(importEvent(record, claim.type, claim.at)),
      tenant: record.tenant,
      ...(record.request.notify ? { notify: record.request.notify } : {}),
    };
  };

  const deliver = async (claim: OutboxClaim): Promise<void> => {
    const eventId = isJobEventType(claim.type) ? jobEventId(claim.importId) : importEventId(claim.importId);
    const log = logger.child({ importId: claim.importId, eventId, sink: claim.sink, attempt: claim.attempt });
    try {
      deps.failpoints.hit('notify.before-deliver');
      const event = await eventOf(claim);
      if (!event) {
        await deps.outbox.finish(claim, null);
        log.warn('event dropped: the record it is about is gone');
        return;
      }
      const result =
        claim.sink === 'webhook'
          ? await sendWebhook(event.tenant, event.notify, eventId, event.body)
          : await sendSqs(claim.importId, eventId, event.body);
      await settle(claim, result, log);
    } catch (error) {
      // The claim stays leased: the entry comes due again when the lease runs out.
      log.warn({ err: error }, 'event delivery broke off; it is retried when its lease runs out');
    }
  };

  const sendWebhook = async (
    tenant: string,
    notify: StoredNotifyTarget | undefined,
    eventId: string,
    body: string,
  ): Promise<DeliveryResult> => {
    if (!notify) return { ok: true };
    let url: string;
    try {
      url = openNotifyUrl(notify, deps.box);
    } catch (error) {
      return { ok: false, reason: failureReason(error, settings.timeoutMs) };
    }
    const secrets = await deps.signingSecrets.get(tenant);
    return deps.webhooks.send(url, eventId, body, secrets);
  };

  const sendSqs = (id: string, eventId: string, body: string): Promise<DeliveryResult> | DeliveryResult =>
    // Another worker of a fleet being reconfigured may publish it; else it is given up in time.
    deps.sqs
      ? deps.sqs.send(eventId, body, id)
      : { ok: false, reason: 'this worker has no EVENTS_SQS_QUEUE_URL' };

  const settle = async (claim: OutboxClaim, result: DeliveryResult, log: Logger): Promise<void> => {
    const now = deps.now();
    const dueMs = result.ok ? now : now + backoffDelay(claim.attempt, settings.retry, deps.random);
    const outcome: EventOutcome = result.ok
      ? 'delivered'
      : dueMs > claim.firstDueMs + settings.giveUpAfterMs
        ? 'given_up'
        : 'retried';
    const state: NotifyState = result.ok
      ? { status: 'delivered', attempts: claim.attempt, deliveredAt: new Date(now).toISOString() }
      : {
          status: outcome === 'given_up' ? 'failed' : 'pending',
          attempts: claim.attempt,
          lastError: result.reason,
        };
    // SQS deliveries are the operator's: only the webhook's show on the import.
    const notify = claim.sink === 'webhook' ? state : null;
    const settled =
      outcome === 'retried'
        ? await deps.outbox.retryAt(claim, dueMs, state.lastError ?? '', notify)
        : await deps.outbox.finish(claim, notify);
    if (!settled) {
      log.info({ outcome }, 'event claim lapsed while delivering; the next claim decides');
      return;
    }
    deps.metrics.eventSettled(claim.sink, outcome);
    if (outcome === 'delivered') log.info('event delivered');
    else if (outcome === 'given_up')
      log.warn({ reason: state.lastError }, 'event given up: not delivered in time');
    else
      log.info(
        { reason: state.lastError, retryAt: new Date(dueMs).toISOString() },
        'event not delivered; will retry',
      );
  };

  const ready = announceSqs();
  timer = setTimeout(() => (tick = poll()), 0);
  return {
    ready,
    close: async () => {
      stopped = true;
      clearTimeout(timer);
      await tick;
    },
  };
}
