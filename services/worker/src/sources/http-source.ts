import type { Readable } from 'node:stream';
import { ErrorCode, type HttpSource as HttpSourceSpec } from '@ferry/shared';
import { type Dispatcher, interceptors, request } from 'undici';
import type { BufferLease } from '../bytes/memory-budget.ts';
import type { PartStream } from '../bytes/part-stream.ts';
import { permanentError, transientError } from '../errors/transfer-error.ts';
import type { FleetLimiter } from '../limits/fleet-limiter.ts';
import { hostLimitKey } from '../limits/limit-key.ts';
import { parseContentRange } from './content-range.ts';
import { checkExactRange } from './exact-range.ts';
import { sourceStatusError } from './http-status.ts';
import { originThrottle } from './origin-throttle.ts';
import { pacedBody } from './paced-body.ts';
import type { AnsweredResponse, Method, PooledHttpClient, PooledResponse } from './pooled-http-client.ts';
import { releasedPartStream } from './released-part-stream.ts';
import { type AnswerHeaders, contentLength, headerValue } from './response-headers.ts';
import type { Source, SourceMetadata } from './source.ts';
import { toSourceError } from './source-error.ts';

/** HEAD answers that mean "this origin does not do HEAD", not "this file is not there". */
const HEAD_REFUSED = new Set([400, 403, 405, 406, 501]);

/**
 * A plain HTTP(S) URL. Every request carries the source's own headers (secrets: they are never
 * logged or put in messages, and dropped on a redirect to another origin), asks for identity
 * encoding so lengths and ranges count stored bytes, and applies the SSRF address policy when it
 * connects. Metadata and part reads go through the worker's pooled HTTP/1.1 client, which reads
 * part bodies straight into the part's memory-budget buffers; the whole-object read of the
 * streaming fallback goes through the undici agent, as a stream. Every request passes the fleet
 * limiter of the URL's host (HTTP_HOST_LIMITS), each body read holding one of its download slots,
 * and the host's 429 or 503 Retry-After pauses it for the whole fleet.
 */
export class HttpSource implements Source {
  readonly #url: string;
  readonly #headers: Record<string, string>;
  readonly #dispatcher: Dispatcher;
  readonly #client: PooledHttpClient;
  readonly #limiter: FleetLimiter;
  /** The URL's host and port: the origin the fleet limits. */
  readonly #key: string;

  constructor(spec: HttpSourceSpec, agent: Dispatcher, client: PooledHttpClient, limiter: FleetLimiter) {
    this.#url = spec.url;
    this.#headers = spec.headers ?? {};
    this.#client = client;
    this.#limiter = limiter;
    this.#key = hostLimitKey(new URL(spec.url));
    this.#dispatcher = agent.compose(
      interceptors.redirect({
        maxRedirections: 5,
        stripHeadersOnCrossOriginRedirect: Object.keys(this.#headers),
      }),
    );
  }

  async metadata(signal: AbortSignal): Promise<SourceMetadata> {
    const head = await this.#limiter.request(this.#key, () => this.#ask('HEAD', {}, signal), signal);
    head.body.destroy();
    if (isSuccess(head.statusCode)) {
      checkIdentityCoding(head.headers);
      const size = contentLength(head.headers);
      if (size !== null) {
        return {
          size,
          version: versionOf(head.headers),
          ranges: acceptsRanges(head.headers),
          location: recordableUrl(this.#url),
          ...statedCrc32(head.headers),
        };
      }
    } else if (!HEAD_REFUSED.has(head.statusCode)) {
      throw sourceStatusError(head.statusCode, 'HEAD');
    }
    return this.#probe(signal);
  }

  /** For origins that refuse HEAD or omit its length: one byte, whose Content-Range tells the size. */
  async #probe(signal: AbortSignal): Promise<SourceMetadata> {
    const response = await this.#limiter.request(
      this.#key,
      () => this.#ask('GET', { range: 'bytes=0-0' }, signal),
      signal,
    );
    // The byte itself (or, ranges ignored, the whole object) is not wanted.
    response.body.destroy();
    if (isSuccess(response.statusCode)) checkIdentityCoding(response.headers);
    const version = versionOf(response.headers);
    if (response.statusCode === 206) {
      const range = parseContentRange(headerValue(response.headers, 'content-range'));
      if (range?.kind !== 'range' || range.start !== 0) {
        throw transientError(
          ErrorCode.SOURCE_SIZE_MISMATCH,
          'source answered a range probe with a bad Content-Range',
        );
      }
      return {
        size: range.size,
        version,
        ranges: true,
        location: recordableUrl(this.#url),
        ...statedCrc32(response.headers),
      };
    }
    if (response.statusCode === 200) {
      // Ranges ignored: the streaming path asks again.
      return {
        size: contentLength(response.headers),
        version,
        ranges: false,
        location: recordableUrl(this.#url),
      };
    }
    if (response.statusCode === 416) {
      // Only an empty object cannot satisfy bytes=0-0.
      const range = parseContentRange(headerValue(response.headers, 'content-range'));
      if (range?.kind === 'unsatisfied' && range.size === 0) {
        return { size: 0, version, ranges: true, location: recordableUrl(this.#url) };
      }
    }
    throw sourceStatusError(response.statusCode, 'a range probe');
  }

  async readRange(
    start: number,
    end: number,
    expected: SourceMetadata,
    signal: AbortSignal,
    buffers: BufferLease,
  ): Promise<PartStream> {
    const extra: Record<string, string> = { range: `bytes=${start}-${end}` };
    if (expected.version) {
      // If-Range pins the version: should the object have changed, the origin answers 200 with the
      // new one. A precondition as well, for origins that ignore If-Range but check these: If-Match
      // for a strong ETag, If-Unmodified-Since for a Last-Modified date; they answer 412.
      extra['if-range'] = expected.version;
      if (expected.version.startsWith('"')) extra['if-match'] = expected.version;
      else extra['if-unmodified-since'] = expected.version;
    }
    const { value, release } = await this.#limiter.download(
      this.#key,
      async () => {
        const response = await this.#ask('GET', extra, signal, buffers);
        try {
          checkRangeAnswer(response.statusCode, response.headers, start, end, expected);
        } catch (error) {
          response.body.destroy();
          throw error;
        }
        return response.body;
      },
      signal,
    );
    return releasedPartStream(value, release);
  }

  async readAll(signal: AbortSignal): Promise<{ body: Readable; size: number | null }> {
    const { value, release } = await this.#limiter.download(this.#key, () => this.#askWhole(signal), signal);
    value.body.once('close', release);
    return value;
  }

  async #askWhole(signal: AbortSignal): Promise<{ body: Readable; size: number | null }> {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(this.#url, {
        method: 'GET',
        headers: { ...this.#headers, 'accept-encoding': 'identity' },
        signal,
        dispatcher: this.#dispatcher,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw toSourceError(error);
    }
    try {
      // undici's redirect handler lists every URL it asked, the one that answered last.
      const answeredBy = (response.context as { history?: readonly URL[] } | undefined)?.history?.at(-1);
      const throttle = this.#throttleOf(
        response.statusCode,
        response.headers,
        answeredBy ?? new URL(this.#url),
      );
      if (throttle) throw throttle;
      if (response.statusCode !== 200) throw sourceStatusError(response.statusCode, 'GET');
      checkIdentityCoding(response.headers);
    } catch (error) {
      // undici reports dropping an unread body as an error: expected here.
      response.body.on('error', () => {});
      response.body.destroy();
      throw error;
    }
    const { minBytesPerSecond, windowMs } = this.#client.pace;
    return {
      body: pacedBody(response.body, minBytesPerSecond, windowMs),
      size: contentLength(response.headers),
    };
  }

  async #ask(
    method: Method,
    extra: Record<string, string>,
    signal: AbortSignal,
    lease?: BufferLease,
  ): Promise<PooledResponse> {
    let response: AnsweredResponse;
    try {
      response = await this.#client.request(method, this.#url, {
        headers: { ...this.#headers, 'accept-encoding': 'identity', ...extra },
        signal,
        ...(lease ? { lease } : {}),
        maxRedirections: 5,
        stripOnCrossOrigin: Object.keys(this.#headers),
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw toSourceError(error);
    }
    const throttle = this.#throttleOf(response.statusCode, response.headers, response.url);
    if (throttle) {
      response.body.destroy();
      throw throttle;
    }
    return response;
  }

  #throttleOf(status: number, headers: AnswerHeaders, answeredBy: URL) {
    return originThrottle(status, headers, hostLimitKey(answeredBy) === this.#key, Date.now());
  }
}

/**
 * Checks a ranged answer before its body is read: 206 with exactly the asked range of the expected
 * version. Another version (200 to If-Range, 412 to If-Match, a new ETag or size) is SOURCE_CHANGED;
 * a garbled range or a Content-Length that is not the range's is a retryable mismatch.
 */
function checkRangeAnswer(
  statusCode: number,
  headers: AnswerHeaders,
  start: number,
  end: number,
  expected: SourceMetadata,
): void {
  if (statusCode !== 206) {
    const etag = headerValue(headers, 'etag');
    if (statusCode === 200 && expected.version?.startsWith('"') && etag === expected.version) {
      // The very version asked for, whole: the origin said it serves ranges and does not. Retrying
      // or starting over gets the same answer.
      throw permanentError(
        ErrorCode.SOURCE_PROTOCOL_ERROR,
        `source advertised byte ranges but answered 200 to GET bytes ${start}-${end}`,
      );
    }
    if (statusCode === 200 || statusCode === 412 || statusCode === 416) {
      throw permanentError(
        ErrorCode.SOURCE_CHANGED,
        `source object changed during the import (${statusCode} to a ranged GET)`,
      );
    }
    throw sourceStatusError(statusCode, `GET bytes ${start}-${end}`);
  }
  const etag = headerValue(headers, 'etag');
  if (expected.version?.startsWith('"') && etag && etag !== expected.version) {
    throw permanentError(ErrorCode.SOURCE_CHANGED, 'source object changed during the import (new ETag)');
  }
  checkIdentityCoding(headers);
  checkExactRange(headers, start, end, expected.size ?? 0);
}

/**
 * Every request asks for identity: sizes, ranges and checksums count the stored bytes. A body in
 * another coding (gzip, br...) would be imported as those bytes, a different file than the one the
 * URL names; decoding it instead would break every length the plan rests on. Refused, permanently.
 */
function checkIdentityCoding(headers: AnswerHeaders): void {
  const stated = headers['content-encoding'];
  const codings = (Array.isArray(stated) ? stated.join(',') : (stated ?? ''))
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length > 0) {
    throw permanentError(
      ErrorCode.SOURCE_PROTOCOL_ERROR,
      `source sent a ${codings.join(', ')} body though identity was asked for`,
    );
  }
}

/**
 * The whole object's CRC-32 when the origin states it: S3 and S3-compatible servers send
 * x-amz-checksum-crc32 for objects stored with a full-object CRC-32 (a composite checksum of parts,
 * `...-N`, is not the object's and is ignored). Other digests origins send (MD5, SHA-256, CRC32C)
 * would cost a second pass over the bytes in order, which parts fetched in parallel do not allow.
 */
function statedCrc32(headers: AnswerHeaders): { crc32?: number } {
  const value = headerValue(headers, 'x-amz-checksum-crc32')?.trim();
  const type = headerValue(headers, 'x-amz-checksum-type')?.trim().toUpperCase();
  if (!value || !/^[A-Za-z0-9+/]{6}==$/.test(value) || (type && type !== 'FULL_OBJECT')) return {};
  return { crc32: Buffer.from(value, 'base64').readUInt32BE(0) };
}

/** The URL as it may be recorded on the object: no user info, no query, no fragment. */
function recordableUrl(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function acceptsRanges(headers: AnswerHeaders): boolean {
  return (headerValue(headers, 'accept-ranges') ?? '').toLowerCase().includes('bytes');
}

/** A strong ETag, else Last-Modified. Weak ETags cannot be used in If-Range (RFC 9110 §13.1.5). */
function versionOf(headers: AnswerHeaders): string | null {
  const etag = headerValue(headers, 'etag');
  if (etag && !etag.startsWith('W/')) return etag;
  return headerValue(headers, 'last-modified') ?? null;
}
