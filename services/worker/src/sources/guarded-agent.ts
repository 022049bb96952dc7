import { isIP } from 'node:net';
import {
  addressRefusal,
  FerryError,
  guardedLookup,
  type OutboundUrl,
  type ResolveAll,
  SOURCE_URL,
} from '@ferry/shared';
import { Agent, buildConnector } from 'undici';

/**
 * The undici dispatcher every source request goes through. Its connector applies the SSRF address
 * policy when a socket is opened, not only when the import was submitted: IP-literal hosts are
 * checked directly (net.connect does no lookup for them) and names are resolved through shared's
 * guardedLookup, so a name that was public at submit and points at a private address now is
 * refused. Redirects pass through the same connector. `which` names the URL in refusals (the
 * webhook dispatcher's agent refuses notify URLs).
 */
export function createGuardedAgent(
  allowPrivate: boolean,
  resolveAll?: ResolveAll,
  which: OutboundUrl = SOURCE_URL,
  timeouts: { headersTimeoutMs?: number; bodyTimeoutMs?: number } = {},
): Agent {
  const connect = buildConnector({
    lookup: guardedLookup(allowPrivate, resolveAll, which),
    timeout: 10_000,
  });
  return new Agent({
    connect: (options, callback) => {
      const host = options.hostname.replace(/^\[|\]$/g, '');
      const refusal = isIP(host) ? addressRefusal(host, allowPrivate) : null;
      if (refusal) {
        callback(
          new FerryError(which.refused, `${which.noun} address ${host} ${refusal}`, { status: 422 }),
          null,
        );
        return;
      }
      connect(options, callback);
    },
    // A source that stops sending is a failed part (retried), not a part that holds a slot forever.
    headersTimeout: timeouts.headersTimeoutMs ?? 30_000,
    bodyTimeout: timeouts.bodyTimeoutMs ?? 60_000,
    keepAliveTimeout: 10_000,
  });
}
