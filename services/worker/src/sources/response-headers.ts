/** Response headers as undici and the pooled client give them (names in lower case). */
export type AnswerHeaders = Record<string, string | string[] | undefined>;

/** The header's (first) value. */
export function headerValue(headers: AnswerHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Content-Length as a byte count; null when absent or not a plain whole number. */
export function contentLength(headers: AnswerHeaders): number | null {
  const value = headerValue(headers, 'content-length');
  if (value === undefined || !/^\d+$/.test(value.trim())) return null;
  const size = Number(value);
  return Number.isSafeInteger(size) ? size : null;
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(headers: AnswerHeaders, now: number): number | null {
  const value = headerValue(headers, 'retry-after')?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
