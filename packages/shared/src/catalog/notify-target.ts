import { z } from 'zod';

/**
 * Where an import's completion event is POSTed (Standard Webhooks). The scheme is checked here; that
 * the address may be reached (SSRF policy, https outside dev) is checked on submit and at delivery.
 */
export const NotifyTarget = z.strictObject({
  url: z
    .string()
    .max(2048)
    .refine((value) => URL.canParse(value), 'url must be an absolute URL')
    .refine(
      (value) => !URL.canParse(value) || ['http:', 'https:'].includes(new URL(value).protocol),
      'url must use http or https',
    ),
});
export type NotifyTarget = z.infer<typeof NotifyTarget>;

export const NOTIFY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type NotifyStatus = (typeof NOTIFY_STATUSES)[number];

/** How the import's webhook is getting on; written by the transition that made the import final. */
export interface NotifyState {
  status: NotifyStatus;
  attempts: number;
  /** Why the last attempt did not count as delivered: a status code or a network error, never a body. */
  lastError?: string;
  deliveredAt?: string;
}

/** The URL as a response may show it: scheme, host and path; the query and fragment may hold tokens. */
export function describeNotifyUrl(value: string): string {
  const url = new URL(value);
  return `${url.origin}${url.pathname}`;
}
