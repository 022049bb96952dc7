import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { FerryError } from '../errors.ts';
import { addressRefusal } from './address-policy.ts';
import { type OutboundUrl, SOURCE_URL } from './outbound-url.ts';

export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolveAll: ResolveAll = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

/** Resolves `hostname` and refuses it when any of its addresses is not allowed. */
export async function resolveAllowed(
  hostname: string,
  allowPrivate: boolean,
  resolveAll: ResolveAll,
  which: OutboundUrl = SOURCE_URL,
): Promise<LookupAddress[]> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  let addresses: LookupAddress[];
  try {
    addresses = await resolveAll(bare);
  } catch (error) {
    throw new FerryError(which.unresolved, `${which.noun} host "${bare}" could not be resolved`, {
      status: 422,
      cause: error,
      details: [{ field: which.field, message: 'host could not be resolved' }],
    });
  }
  for (const { address } of addresses) {
    const refusal = addressRefusal(address, allowPrivate);
    if (refusal) {
      throw new FerryError(
        which.refused,
        `${which.noun} host "${bare}" resolves to ${address}, which ${refusal}`,
        {
          status: 422,
          details: [{ field: which.field, message: `address ${refusal}` }],
        },
      );
    }
  }
  return addresses;
}

/**
 * A `lookup` for net/tls connect that applies the address policy at connect time, so a name that
 * resolved to a public address when the import was submitted and to a private one now is refused.
 */
export function guardedLookup(
  allowPrivate: boolean,
  resolveAll: ResolveAll = systemResolveAll,
  which: OutboundUrl = SOURCE_URL,
): LookupFunction {
  return (hostname, options, callback) => {
    resolveAllowed(hostname, allowPrivate, resolveAll, which).then(
      (addresses) => {
        const wanted =
          options.family === 4 || options.family === 6
            ? addresses.filter((a) => a.family === options.family)
            : addresses;
        const usable = wanted.length > 0 ? wanted : addresses;
        if (options.all) {
          (callback as (err: null, addresses: LookupAddress[]) => void)(null, usable);
        } else {
          const first = usable[0] as LookupAddress;
          callback(null, first.address, first.family);
        }
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}
