import type { Readable } from 'node:stream';
import { type Dispatcher, request } from 'undici';
import { type AnswerHeaders, contentLength } from '../response-headers.ts';
import { toSourceError } from '../source-error.ts';
import { readAnswerText } from './provider-call.ts';

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
    // A body cut off is still worth what arrived: the status alone decides most cases.
    const { text } = await readAnswerText(response.body).catch(() => ({ text: '' }));
    throw failure(response.statusCode, response.headers, text);
  }
  return { body: response.body, size: contentLength(response.headers) };
}
