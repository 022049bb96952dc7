import type { Readable } from 'node:stream';
import { ErrorCode, type HttpSource as HttpSourceSpec } from '@ferry/shared';
import { type Dispatcher, interceptors, request } from 'undici';
import { permanentError, transientError } from '../errors/transfer-error.ts';
import { parseContentRange } from './content-range.ts';
import { sourceStatusError } from './http-status.ts';
import type { Source, SourceMetadata } from './source.ts';
import { toSourceError } from './source-error.ts';

type Response = Dispatcher.ResponseData;
type Headers = Response['headers'];

/** HEAD answers that mean "this origin does not do HEAD", not "this file is not there". */
const HEAD_REFUSED = new Set([400, 403, 405, 406, 501]);

/**
 * A plain HTTP(S) URL. Every request carries the source's own headers (secrets: they are never
 * logged or put in messages, and dropped on a redirect to another origin), asks for identity
 * encoding so lengths and ranges count stored bytes, and goes through the SSRF-guarded agent.
 */
export class HttpSource implements Source {
  readonly #url: string;
  readonly #headers: Record<string, string>;
  readonly #dispatcher: Dispatcher;

  constructor(spec: HttpSourceSpec, agent: Dispatcher) {
    this.#url = spec.url;
    this.#headers = spec.headers ?? {};
    this.#dispatcher = agent.compose(
      interceptors.redirect({
        maxRedirections: 5,
        stripHeadersOnCrossOriginRedirect: Object.keys(this.#headers),
      }),
    );
  }

  async metadata(signal: AbortSignal): Promise<SourceMetadata> {
    const head = await this.#send('HEAD', {}, signal);
    discard(head);
    if (isSuccess(head.statusCode)) {
      const size = contentLength(head.headers);
      if (size !== null) {
        return { size, version: versionOf(head.headers), ranges: acceptsRanges(head.headers) };
      }
    } else if (!HEAD_REFUSED.has(head.statusCode)) {
      throw sourceStatusError(head.statusCode, 'HEAD');
    }
    return this.#probe(signal);
  }

  /** For origins that refuse HEAD or omit its length: one byte, whose Content-Range tells the size. */
  async #probe(signal: AbortSignal): Promise<SourceMetadata> {
    const response = await this.#send('GET', { range: 'bytes=0-0' }, signal);
    const version = versionOf(response.headers);
    if (response.statusCode === 206) {
      await drain(response);
      const range = parseContentRange(header(response.headers, 'content-range'));
      if (range?.kind !== 'range' || range.start !== 0) {
        throw transientError(
          ErrorCode.SOURCE_SIZE_MISMATCH,
          'source answered a range probe with a bad Content-Range',
        );
      }
      return { size: range.size, version, ranges: true };
    }
    if (response.statusCode === 200) {
      // Ranges ignored: the whole object is on its way. Stop it; the streaming path asks again.
      discard(response);
      return { size: contentLength(response.headers), version, ranges: false };
    }
    if (response.statusCode === 416) {
      await drain(response);
      // Only an empty object cannot satisfy bytes=0-0.
      const range = parseContentRange(header(response.headers, 'content-range'));
      if (range?.kind === 'unsatisfied' && range.size === 0) return { size: 0, version, ranges: true };
    } else {
      discard(response);
    }
    throw sourceStatusError(response.statusCode, 'a range probe');
  }

  async readRange(
    start: number,
    end: number,
    expected: SourceMetadata,
    signal: AbortSignal,
  ): Promise<Readable> {
    const headers: Record<string, string> = { range: `bytes=${start}-${end}` };
    // If-Range pins the version: should the object change, the origin answers 200 with the new one.
    if (expected.version) headers['if-range'] = expected.version;
    const response = await this.#send('GET', headers, signal);
    const { statusCode } = response;
    if (statusCode !== 206) {
      discard(response);
      if (statusCode === 200 || statusCode === 416) {
        throw permanentError(
          ErrorCode.SOURCE_CHANGED,
          `source object changed during the import (${statusCode} to a ranged GET)`,
        );
      }
      throw sourceStatusError(statusCode, `GET bytes ${start}-${end}`);
    }
    const range = parseContentRange(header(response.headers, 'content-range'));
    const etag = header(response.headers, 'etag');
    if (expected.version?.startsWith('"') && etag && etag !== expected.version) {
      discard(response);
      throw permanentError(ErrorCode.SOURCE_CHANGED, 'source object changed during the import (new ETag)');
    }
    if (range?.kind === 'range' && range.size !== null && range.size !== expected.size) {
      discard(response);
      throw permanentError(
        ErrorCode.SOURCE_CHANGED,
        `source object changed during the import (size ${expected.size} is now ${range.size})`,
      );
    }
    if (range?.kind !== 'range' || range.start !== start || range.end !== end) {
      discard(response);
      throw transientError(
        ErrorCode.SOURCE_SIZE_MISMATCH,
        `source answered bytes ${start}-${end} with Content-Range "${header(response.headers, 'content-range') ?? ''}"`,
      );
    }
    return response.body;
  }

  async readAll(signal: AbortSignal): Promise<{ body: Readable; size: number | null }> {
    const response = await this.#send('GET', {}, signal);
    if (response.statusCode !== 200) {
      discard(response);
      throw sourceStatusError(response.statusCode, 'GET');
    }
    return { body: response.body, size: contentLength(response.headers) };
  }

  async #send(method: 'GET' | 'HEAD', extra: Record<string, string>, signal: AbortSignal): Promise<Response> {
    try {
      return await request(this.#url, {
        method,
        headers: { ...this.#headers, 'accept-encoding': 'identity', ...extra },
        signal,
        dispatcher: this.#dispatcher,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw toSourceError(error);
    }
  }
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function contentLength(headers: Headers): number | null {
  const value = header(headers, 'content-length');
  if (value === undefined || !/^\d+$/.test(value.trim())) return null;
  const size = Number(value);
  return Number.isSafeInteger(size) ? size : null;
}

function acceptsRanges(headers: Headers): boolean {
  return (header(headers, 'accept-ranges') ?? '').toLowerCase().includes('bytes');
}

/** A strong ETag, else Last-Modified. Weak ETags cannot be used in If-Range (RFC 9110 §13.1.5). */
function versionOf(headers: Headers): string | null {
  const etag = header(headers, 'etag');
  if (etag && !etag.startsWith('W/')) return etag;
  return header(headers, 'last-modified') ?? null;
}

/** Drops a body we don't want. undici reports destroying an unread body as an error: expected here. */
function discard(response: Response): void {
  response.body.on('error', () => {});
  response.body.destroy();
}

async function drain(response: Response): Promise<void> {
  await response.body.dump({ limit: 64 * 1024 });
}
