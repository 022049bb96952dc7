import type { Readable } from 'node:stream';
import { type Dispatcher, request } from 'undici';
import { toSourceError } from '../source-error.ts';
import type { AnswerHeaders } from './provider-call.ts';

/**
 * A provider download as one stream (the engine's path for files without ranges: Drive exports).
 * A non-200 answer's body is read and handed to `failure`, which says what it means.
 */
export async function openProviderStream(
  dispatcher: Dispatcher,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  failure: (status: number, headers: AnswerHeaders, body: string) => Error,
): Promise<{ body: Readable; size: number | null }> {
  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, {
      method: 'GET',
      headers: { ...headers, 'accept-encoding': 'identity' },
      signal,
      dispatcher,
    });
  } catch (error) {
    if (signal.aborted) throw error;
    throw toSourceError(error);
  }
  if (response.statusCode !== 200) {
    const body = await response.body.text().catch(() => '');
    throw failure(response.statusCode, response.headers, body);
  }
  const length = response.headers['content-length'];
  const size = typeof length === 'string' && /^\d+$/.test(length) ? Number(length) : null;
  return { body: response.body, size };
}
