import { type KeyLimits, MAX_DOWNLOADS_RANGE, PER_SECOND_RANGE } from './rate-limit-overrides.ts';

/**
 * HTTP_HOST_LIMITS parsed: limits by host (`example.com`, every port) or by host and port
 * (`example.com:8443`), and the default for every other host. `null` is unlimited.
 */
export interface HostLimitsTable {
  byHost: ReadonlyMap<string, KeyLimits | null>;
  fallback: KeyLimits | null;
}

/** What one origin is held to, and whether HTTP_HOST_LIMITS names it (else the default applies). */
export interface OriginLimits {
  limits: KeyLimits | null;
  listed: boolean;
}

const DEFAULT_ENTRY = 'default';
const UNLIMITED = 'unlimited';
const ENTRY = /^([^\s=,]+)=(?:(\d+)\/(\d+)|(unlimited))$/;
// A bracketed IPv6 literal or a name, then an optional port: URL normalizes the host afterwards.
const HOST = /^(\[[0-9a-f:.]+\]|[^\s:/?#@[\]\\]+)(?::(\d{1,5}))?$/i;
const USAGE = `expected <host>[:<port>]=<concurrent downloads>/<requests per second>, ${DEFAULT_ENTRY}=… or …=${UNLIMITED}`;

/**
 * Parses `default=8/20,example.com=2/5,cdn.example.net:8443=unlimited` (concurrent downloads /
 * requests per second, across the fleet). Hosts are normalized as URLs spell them, so an entry
 * matches whichever way a URL writes its host. Throws a RangeError naming the bad entry by position,
 * as RATE_LIMIT_OVERRIDES does: start-up errors do not echo configuration values.
 */
export function parseHostLimits(value: string): HostLimitsTable {
  const byHost = new Map<string, KeyLimits | null>();
  let fallback: KeyLimits | null | undefined;
  const entries = value.trim() === '' ? [] : value.split(',');
  entries.forEach((raw, index) => {
    const position = `entry ${index + 1}`;
    const match = ENTRY.exec(raw.trim());
    if (!match) throw new RangeError(`${position}: ${USAGE}`);
    const [, name = '', downloads, perSecond] = match;
    const limits = downloads === undefined ? null : checkedLimits(position, downloads, perSecond ?? '');
    if (name.toLowerCase() === DEFAULT_ENTRY) {
      if (fallback !== undefined) throw new RangeError(`${position}: repeats the default`);
      fallback = limits;
      return;
    }
    const host = normalizedHost(position, name);
    if (byHost.has(host)) throw new RangeError(`${position}: repeats the host of an earlier entry`);
    byHost.set(host, limits);
  });
  return { byHost, fallback: fallback ?? null };
}

/** The limits of the origin `<host>:<port>` (as hostOfKey gives it): its own entry, its host's, or the default. */
export function originLimits(table: HostLimitsTable, hostPort: string): OriginLimits {
  const host = hostPort.slice(0, hostPort.lastIndexOf(':'));
  for (const name of [hostPort, host]) {
    const limits = table.byHost.get(name);
    if (limits !== undefined) return { limits, listed: true };
  }
  return { limits: table.fallback, listed: false };
}

function checkedLimits(position: string, downloads: string, perSecond: string): KeyLimits {
  const limits = { maxDownloads: Number(downloads), perSecond: Number(perSecond) };
  if (limits.maxDownloads < MAX_DOWNLOADS_RANGE.min || limits.maxDownloads > MAX_DOWNLOADS_RANGE.max) {
    throw new RangeError(
      `${position}: concurrent downloads must be from ${MAX_DOWNLOADS_RANGE.min} to ${MAX_DOWNLOADS_RANGE.max}`,
    );
  }
  if (limits.perSecond < PER_SECOND_RANGE.min || limits.perSecond > PER_SECOND_RANGE.max) {
    throw new RangeError(
      `${position}: requests per second must be from ${PER_SECOND_RANGE.min} to ${PER_SECOND_RANGE.max}`,
    );
  }
  return limits;
}

/** `Example.COM` → `example.com`, `example.com:8443` kept with its port, `[::1]:80` → `[::1]:80`. */
function normalizedHost(position: string, name: string): string {
  const match = HOST.exec(name);
  const parsed = match ? URL.parse(`http://${match[1]}/`) : null;
  if (!match || !parsed) throw new RangeError(`${position}: ${USAGE}`);
  const port = match[2];
  if (port === undefined) return parsed.hostname;
  const number = Number(port);
  if (number < 1 || number > 65_535) throw new RangeError(`${position}: the port must be from 1 to 65535`);
  return `${parsed.hostname}:${number}`;
}
