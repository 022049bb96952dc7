import {
  checkOutboundUrl,
  ErrorCode,
  FerryError,
  NOTIFY_URL,
  type NotifyTarget,
  type ResolveAll,
} from '@ferry/shared';

/** The target an import's events go to: its own, else its tenant's default, else none. */
export function effectiveNotifyTarget(
  given: NotifyTarget | undefined,
  tenantDefault: string | undefined,
): NotifyTarget | undefined {
  if (given) return given;
  return tenantDefault === undefined ? undefined : { url: tenantDefault };
}

/**
 * Refuses a client's callback URL the workers must not POST to: plain http outside dev (the event
 * and its signature would cross the network in the clear), and addresses the SSRF policy refuses.
 * The dispatcher's connector checks the address again on every delivery.
 */
export async function checkNotifyTarget(
  target: NotifyTarget,
  allowPrivate: boolean,
  resolveAll: ResolveAll,
): Promise<void> {
  if (!allowPrivate && new URL(target.url).protocol !== 'https:') {
    throw new FerryError(ErrorCode.VALIDATION_FAILED, 'notify.url: url must use https', {
      status: 400,
      details: [{ field: 'notify.url', message: 'url must use https' }],
    });
  }
  await checkOutboundUrl(target.url, allowPrivate, resolveAll, NOTIFY_URL);
}
