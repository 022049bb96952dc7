import { isIP } from 'node:net';
import { ErrorCode, FerryError } from '../errors.ts';
import { addressRefusal } from './address-policy.ts';
import { type ResolveAll, resolveAllowed, systemResolveAll } from './guarded-lookup.ts';
import { type OutboundUrl, SOURCE_URL } from './outbound-url.ts';

/**
 * Refuses a source URL whose host is, or resolves to, an address the policy forbids. The API runs
 * this on submit for a fast, clear 4xx; the worker enforces the same policy again at connect time.
 */
export function checkSourceUrl(
  value: string,
  allowPrivate: boolean,
  resolveAll: ResolveAll = systemResolveAll,
): Promise<void> {
  return checkOutboundUrl(value, allowPrivate, resolveAll, SOURCE_URL);
}

/** checkSourceUrl for any URL a client gives Ferry to connect to; errors name `which.field`. */
export async function checkOutboundUrl(
  value: string,
  allowPrivate: boolean,
  resolveAll: ResolveAll,
  which: OutboundUrl,
): Promise<void> {
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FerryError(ErrorCode.VALIDATION_FAILED, `${which.field}: url must use http or https`, {
      status: 400,
      details: [{ field: which.field, message: 'url must use http or https' }],
    });
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const refusal = addressRefusal(host, allowPrivate);
    if (refusal) {
      throw new FerryError(which.refused, `${which.noun} address ${host} ${refusal}`, {
        status: 422,
        details: [{ field: which.field, message: `address ${refusal}` }],
      });
    }
    return;
  }
  await resolveAllowed(host, allowPrivate, resolveAll, which);
}
