import { ErrorCode } from '@ferry/shared';
import { type Dispatcher, request } from 'undici';
import { transientError } from '../../errors/transfer-error.ts';
import type { AnswerHeaders } from '../response-headers.ts';
import { toSourceError } from '../source-error.ts';

/** A provider API's answer to a metadata or token call: small JSON bodies, read whole. */
export interface ProviderAnswer {
  status: number;
  headers: AnswerHeaders;
  body: string;
}

/** Metadata and error bodies are a few KiB; anything far larger is not an answer we understand. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** One request to a provider's JSON API (not a download). Network failures are transient. */
export async function callProvider(
  dispatcher: Dispatcher,
  url: string,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
  signal: AbortSignal,
): Promise<ProviderAnswer> {
  try {
    const response = await request(url, {
      method: init.method,
      headers: init.headers,
      ...(init.body === undefined ? {} : { body: init.body }),
      signal,
      dispatcher,
    });
    const { text, complete } = await readAnswerText(response.body);
    if (!complete) {
      throw transientError(ErrorCode.SOURCE_SERVER_ERROR, `provider answered ${url} with an oversized body`);
    }
    return { status: response.statusCode, headers: response.headers, body: text };
  } catch (error) {
    if (signal.aborted) throw error;
    throw toSourceError(error);
  }
}

/**
 * A small answer body as text: up to MAX_ANSWER_BYTES, the rest dropped unread (`complete` says
 * whether it all fitted). Metadata, token and error answers are a few KiB.
 */
export async function readAnswerText(
  body: AsyncIterable<Buffer> & { destroy(): void },
): Promise<{ text: string; complete: boolean }> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      return { text: Buffer.concat(chunks).toString('utf8'), complete: false };
    }
    chunks.push(chunk);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), complete: true };
}

/** The answer's JSON body, or null when it has none or it is not JSON. */
export function answerJson(answer: { body: string }): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(answer.body);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
