import { isIP } from 'node:net';
import { ErrorCode, FerryError } from '../errors.ts';
import { addressRefusal } from './address-policy.ts';
import { type ResolveAll, resolveAllowed, systemResolveAll } from './guarded-lookup.ts';

/**
 * Refuses a source URL whose host is, or resolves to, an address the policy forbids. The API runs
 * this on submit for a fast, clear 4xx; the worker enforces the same policy again at connect time.
 */
export async function checkSourceUrl(
  value: string,
  allowPrivate: boolean,
  resolveAll: ResolveAll = systemResolveAll,
): Promise<void> {
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FerryError(ErrorCode.VALIDATION_FAILED, 'source.url: url must use http or https', {
      status: 400,
      details: [{ field: 'source.url', message: 'url must use http or https' }],
    });
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const refusal = addressRefusal(host, allowPrivate);
    if (refusal) {
      throw new FerryError(ErrorCode.SOURCE_ADDRESS_REFUSED, `source address ${host} ${refusal}`, {
        status: 422,
        details: [{ field: 'source.url', message: `address ${refusal}` }],
      });
    }
    return;
  }
  await resolveAllowed(host, allowPrivate, resolveAll);
}
