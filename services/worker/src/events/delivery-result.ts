/** How one delivery attempt to one sink went; `reason` is short and holds no secret. */
export type DeliveryResult = { ok: true } | { ok: false; reason: string };

/** A failure described by its code or name, not its message: messages may quote URLs with tokens. */
export function failureReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError')
      return `no answer within ${timeoutMs} ms`;
    const code = (error as { code?: unknown }).code;
    const cause = (error.cause as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && /ADDRESS_REFUSED|HOST_UNRESOLVED/.test(code)) return error.message;
    if (typeof cause === 'string') return `network error ${cause}`;
    if (typeof code === 'string') return `network error ${code}`;
    return `network error ${error.name}`;
  }
  return 'network error';
}
