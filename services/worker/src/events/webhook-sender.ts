import { NOTIFY_URL, type ResolveAll, type WebhookSigningSecrets } from '@ferry/shared';
import { type Agent, request } from 'undici';
import { createGuardedAgent } from '../sources/guarded-agent.ts';
import { type DeliveryResult, failureReason } from './delivery-result.ts';
import { webhookHeaders } from './webhook-signature.ts';

export interface WebhookSenderOptions {
  allowPrivate: boolean;
  resolveAll?: ResolveAll;
  timeoutMs: number;
  /** Milliseconds since the epoch: the signature's timestamp. */
  now: () => number;
}

/**
 * POSTs signed events. The notify URL was checked on submit; the guarded connector checks the address
 * again for every connection, so a name that points somewhere private by now is refused. Redirects
 * are not followed (a 3xx is a failed attempt): a receiver that moved must be given its new URL.
 */
export class WebhookSender {
  readonly #agent: Agent;
  readonly #options: WebhookSenderOptions;

  constructor(options: WebhookSenderOptions) {
    this.#agent = createGuardedAgent(options.allowPrivate, options.resolveAll, NOTIFY_URL);
    this.#options = options;
  }

  async send(
    url: string,
    eventId: string,
    body: string,
    secrets: WebhookSigningSecrets,
  ): Promise<DeliveryResult> {
    const timestampS = Math.floor(this.#options.now() / 1000);
    try {
      const response = await request(url, {
        method: 'POST',
        dispatcher: this.#agent,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Ferry-Webhooks/1',
          ...webhookHeaders(eventId, timestampS, body, secrets),
        },
        body,
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      // The answer's body is the receiver's business: read off so the socket is reused, never kept.
      await response.body.dump();
      if (response.statusCode >= 200 && response.statusCode < 300) return { ok: true };
      return { ok: false, reason: `HTTP ${response.statusCode}` };
    } catch (error) {
      return { ok: false, reason: failureReason(error, this.#options.timeoutMs) };
    }
  }

  close(): Promise<void> {
    return this.#agent.destroy();
  }
}
