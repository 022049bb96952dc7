/**
 * The HTTP/1.1 response syntax the range reader needs (RFC 9112): the status line and header section,
 * and the three ways a body is delimited (Content-Length, chunked, connection close). Strict: anything
 * malformed is an error, never guessed at, since the bytes end up in someone's object.
 */

/** A header section larger than this is refused (undici and Node allow 16–64 KiB). */
export const MAX_HEAD_BYTES = 64 * 1024;
/** A chunked body's trailer section, bounded as a head is: a trailer flood must not read on forever. */
export const MAX_TRAILER_BYTES = MAX_HEAD_BYTES;
const MAX_CHUNK_LINE = 4096;

export type ResponseHeaders = Record<string, string | string[]>;

export interface ResponseHead {
  statusCode: number;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minorVersion: number;
  headers: ResponseHeaders;
  /** Bytes the head took, including the blank line. */
  length: number;
}

/** The source's bytes break HTTP/1.1: the same server answers the same way again (permanent). */
export class HttpProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpProtocolError';
  }
}

/**
 * The connection ended before the response did (closed or reset mid-head or mid-body): what a
 * network does now and then, so worth another try, unlike a malformed answer.
 */
export class ConnectionLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionLostError';
  }
}

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Field values: visible ASCII, obs-text, spaces and tabs; no control characters (CR, LF, NUL...).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Parses a response head from the start of `bytes`; null while the blank line that ends it has not
 * arrived. Throws HttpProtocolError for anything malformed or too large, as soon as the bytes show it:
 * a status line that is not HTTP/1.x fails once it is complete, not when the head limit or the
 * headers timeout is reached (a server of another protocol sends a banner and waits). `searchFrom`
 * says where the blank line may start, for a caller adding bytes as they arrive.
 */
export function parseResponseHead(bytes: Buffer, searchFrom = 0): ResponseHead | null {
  const end = bytes.indexOf('\r\n\r\n', Math.max(0, searchFrom - 3));
  if (end < 0) {
    if (bytes.length > MAX_HEAD_BYTES) throw new HttpProtocolError('response head is too large');
    checkStatusLine(bytes, searchFrom);
    // A head ended by bare LFs would otherwise be waited for until a limit: RFC 9112 §2.2 lets a
    // recipient refuse bare LF, and a strict parser must, since others would read it differently.
    if (hasBareLf(bytes, searchFrom)) throw new HttpProtocolError('response head with bare LF line endings');
    return null;
  }
  if (end + 4 > MAX_HEAD_BYTES) throw new HttpProtocolError('response head is too large');
  const lines = bytes.toString('latin1', 0, end).split('\r\n');
  const status = STATUS_LINE.exec(lines[0] ?? '');
  if (!status) throw new HttpProtocolError('malformed status line');
  // 6xx and above are no status at all: calling them 5xx would retry a server that is not HTTP.
  if (Number(status[2]) >= 600) throw new HttpProtocolError(`status ${status[2]} does not exist`);
  const headers: ResponseHeaders = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    // No obsolete line folding, no whitespace before the colon, no bare LF or CR inside.
    if (colon <= 0) throw new HttpProtocolError('malformed header line');
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new HttpProtocolError('malformed header name');
    const value = line.slice(colon + 1).trim();
    if (!FIELD_VALUE.test(value)) throw new HttpProtocolError('malformed header value');
    const key = name.toLowerCase();
    const existing = headers[key];
    if (existing === undefined) headers[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[key] = [existing, value];
  }
  return { statusCode: Number(status[2]), minorVersion: Number(status[1]), headers, length: end + 4 };
}

function hasBareLf(bytes: Buffer, from: number): boolean {
  for (let at = bytes.indexOf(10, from); at >= 0; at = bytes.indexOf(10, at + 1)) {
    if (at === 0 || bytes[at - 1] !== 13) return true;
  }
  return false;
}

/** Throws when the status line has arrived whole and is not one; once checked, it is not again. */
function checkStatusLine(bytes: Buffer, searchFrom: number): void {
  const lineEnd = bytes.indexOf('\r\n');
  if (lineEnd >= 0 && lineEnd + 2 <= searchFrom) return;
  const line = bytes.toString('latin1', 0, lineEnd < 0 ? Math.min(bytes.length, 64) : lineEnd);
  if (lineEnd >= 0 ? !STATUS_LINE.test(line) : !'HTTP/1.'.startsWith(line.slice(0, 7))) {
    throw new HttpProtocolError('malformed status line');
  }
}

export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

export type BodyFraming =
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  /** Delimited by the connection closing (HTTP/1.0 style). */
  | { kind: 'close' };

/** How the body of a response to GET is delimited (RFC 9112 §6.3). */
export function bodyFraming(head: ResponseHead): BodyFraming {
  const { statusCode, headers } = head;
  if ((statusCode >= 100 && statusCode < 200) || statusCode === 204 || statusCode === 304) {
    return { kind: 'length', length: 0 };
  }
  const transferEncoding = headerValue(headers, 'transfer-encoding');
  if (transferEncoding !== undefined) {
    if (head.minorVersion === 0) throw new HttpProtocolError('Transfer-Encoding in an HTTP/1.0 response');
    const codings = transferEncoding
      .split(',')
      .map((coding) => coding.trim().toLowerCase())
      .filter(Boolean);
    // Anything but a lone "chunked" would need decoding the worker does not do (it asks for identity).
    if (codings.length !== 1 || codings[0] !== 'chunked') {
      throw new HttpProtocolError(`unsupported Transfer-Encoding "${transferEncoding}"`);
    }
    // Both headers is how request smuggling starts: refuse rather than pick one.
    if (headers['content-length'] !== undefined) {
      throw new HttpProtocolError('both Transfer-Encoding and Content-Length');
    }
    return { kind: 'chunked' };
  }
  const contentLength = headers['content-length'];
  if (contentLength !== undefined) {
    const values = (Array.isArray(contentLength) ? contentLength : [contentLength])
      .flatMap((value) => value.split(','))
      .map((value) => value.trim());
    const first = values[0] ?? '';
    if (!/^\d{1,16}$/.test(first) || values.some((value) => value !== first)) {
      throw new HttpProtocolError('malformed Content-Length');
    }
    const length = Number(first);
    if (!Number.isSafeInteger(length)) throw new HttpProtocolError('malformed Content-Length');
    return { kind: 'length', length };
  }
  return { kind: 'close' };
}

/** The server's `Keep-Alive: timeout=N`, in ms. */
export function serverKeepAliveMs(headers: ResponseHeaders): number | null {
  const match = /(?:^|[\s,])timeout=(\d+)/i.exec(headerValue(headers, 'keep-alive') ?? '');
  return match?.[1] ? Number(match[1]) * 1000 : null;
}

/** Whether the connection may carry another request once this response's body is read. */
export function keepsAlive(head: ResponseHead, framing: BodyFraming): boolean {
  if (framing.kind === 'close') return false;
  const connection = (headerValue(head.headers, 'connection') ?? '').toLowerCase();
  const options = connection.split(',').map((option) => option.trim());
  if (options.includes('close')) return false;
  return head.minorVersion === 1 || options.includes('keep-alive');
}

/**
 * Takes a body's bytes as they come off the connection and yields its payload, without copying:
 * every payload piece is a subarray of the bytes given. Knows where the body ends, so bytes past it
 * are reported rather than taken.
 */
export class BodyDecoder {
  readonly #framing: BodyFraming;
  /** Payload bytes left in the body (length) or in the current chunk (chunked). */
  #left: number;
  #state: 'data' | 'size' | 'data-end' | 'trailers' | 'done';
  #line = '';
  /** Bytes of the trailer section so far. */
  #trailerBytes = 0;
  /** Payload bytes yielded so far. */
  received = 0;

  constructor(framing: BodyFraming) {
    this.#framing = framing;
    if (framing.kind === 'length') {
      this.#left = framing.length;
      this.#state = framing.length === 0 ? 'done' : 'data';
    } else if (framing.kind === 'chunked') {
      this.#left = 0;
      this.#state = 'size';
    } else {
      this.#left = Number.POSITIVE_INFINITY;
      this.#state = 'data';
    }
  }

  get done(): boolean {
    return this.#state === 'done';
  }

  /**
   * Feeds bytes read from the connection; `payload` gets each piece of body payload. Returns how
   * many of the bytes belong to the body: fewer than given means the body ended and the rest is
   * something else. Throws HttpProtocolError for broken chunked framing.
   */
  feed(bytes: Buffer, payload: (piece: Buffer) => void): number {
    let at = 0;
    while (at < bytes.length && this.#state !== 'done') {
      switch (this.#state) {
        case 'data': {
          const take = Math.min(this.#left, bytes.length - at);
          payload(at === 0 && take === bytes.length ? bytes : bytes.subarray(at, at + take));
          at += take;
          this.#left -= take;
          this.received += take;
          if (this.#left === 0) this.#state = this.#framing.kind === 'chunked' ? 'data-end' : 'done';
          break;
        }
        case 'size':
        case 'data-end':
        case 'trailers': {
          const newline = bytes.indexOf(10, at);
          const stop = newline < 0 ? bytes.length : newline + 1;
          this.#line += bytes.toString('latin1', at, stop);
          if (this.#state === 'trailers') this.#trailerBytes += stop - at;
          at = stop;
          if (this.#line.length > MAX_CHUNK_LINE) throw new HttpProtocolError('chunk line is too long');
          // Trailers carry nothing the worker uses, but each line is short: only their sum is bounded.
          if (this.#trailerBytes > MAX_TRAILER_BYTES)
            throw new HttpProtocolError('trailer section is too large');
          if (newline >= 0) this.#endOfLine();
          break;
        }
      }
    }
    return at;
  }

  /** The connection ended: fine only for a close-delimited body. */
  end(): void {
    if (this.#framing.kind === 'close') this.#state = 'done';
    if (this.#state !== 'done') throw new ConnectionLostError('connection closed before the body ended');
  }

  #endOfLine(): void {
    const line = this.#line;
    this.#line = '';
    if (!line.endsWith('\r\n')) throw new HttpProtocolError('chunk line without CRLF');
    const text = line.slice(0, -2);
    if (this.#state === 'data-end') {
      if (text !== '') throw new HttpProtocolError('chunk data longer than its size');
      this.#state = 'size';
      return;
    }
    if (this.#state === 'trailers') {
      if (text === '') this.#state = 'done';
      return;
    }
    const size = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(text);
    if (!size?.[1]) throw new HttpProtocolError('malformed chunk size');
    this.#left = Number.parseInt(size[1], 16);
    this.#state = this.#left === 0 ? 'trailers' : 'data';
  }
}
