import { createHmac } from 'node:crypto';
import type { WebhookSigningSecrets } from '@ferry/shared';

/**
 * Standard Webhooks' signature: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the
 * secret's bytes (the base64 after `whsec_`).
 */
export function signWebhook(secret: string, id: string, timestampS: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampS}.${body}`).digest('base64')}`;
}

/** The three headers of a signed delivery; during a rotation both secrets sign, space-separated. */
export function webhookHeaders(
  id: string,
  timestampS: number,
  body: string,
  secrets: WebhookSigningSecrets,
): Record<string, string> {
  const signatures = [secrets.current, ...(secrets.previous ? [secrets.previous.secret] : [])].map((secret) =>
    signWebhook(secret, id, timestampS, body),
  );
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampS),
    'webhook-signature': signatures.join(' '),
  };
}
