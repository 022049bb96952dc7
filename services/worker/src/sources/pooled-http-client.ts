import { isIP, type LookupFunction } from 'node:net';
import { addressRefusal, ErrorCode, FerryError, guardedLookup, type ResolveAll } from '@ferry/shared';
import type { BufferLease } from '../bytes/memory-budget.ts';
import { permanentError } from '../errors/transfer-error.ts';
import { Http1ClientSpan } from './http1-client-span.ts';
import { Connection } from './http1-connection.ts';
import { type Blocks, type Method, type PooledResponse, StaleConnectionError } from './http1-exchange.ts';
import { headerValue } from './http1-response.ts';

export type { Method, PooledResponse } from './http1-exchange.ts';

export interface PooledHttpOptions {
  /** SOURCE_ALLOW_PRIVATE: loopback and private addresses may be connected to. */
  allowPrivate: boolean;
  /** DNS for the SSRF guard; tests answer with chosen addresses. */
  resolveAll?: ResolveAll;
  connectTimeoutMs?: number;
  /** From the request to the end of the response head. */
  headersTimeoutMs?: number;
  /** Longest silence while a body is being read (not while the reader holds it back). */
  bodyTimeoutMs?: number;
  /**
   * Least average payload rate over each bodyTimeoutMs of reading (0: none): a source trickling
   * bytes just often enough to dodge the idle timeout fails the read instead of holding it for hours.
   */
  minBytesPerSecond?: number;
  /** How long an idle connection is kept for the next request, unless the server says less. */
  keepAliveMs?: number;
  /** Certificate authorities to trust instead of Node's bundled ones (a private CA; tests). */
  ca?: string | Buffer;
}

export interface RequestOptions {
  headers: Record<string, string>;
  signal: AbortSignal;
  /**
   * The part's share of the memory budget: the body is read into its blocks. Without one (metadata
   * requests, whose bodies are empty or dropped) what little is read is copied.
   */
  lease?: BufferLease;
  maxRedirections?: number;
  /** Header names (any case) dropped when a redirect leads to another origin: the source's secrets. */
  stripOnCrossOrigin?: string[];
}

/** A response as `request` gives it: the final one, after redirects. */
export interface AnsweredResponse extends PooledResponse {
  /** The URL that gave this answer: the asked one, or where redirects led. */
  url: URL;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** 8 MiB parts at this rate take 34 minutes: slower than any source worth waiting for. */
export const DEFAULT_MIN_BYTES_PER_SECOND = 4096;
/** Block size for reads outside the budget (metadata requests: empty or dropped bodies). */
const UNBUDGETED_BLOCK = 16 * 1024;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The HTTP/1.1 client of HTTP sources (GET and HEAD): keep-alive connections per origin, redirects,
 * the SSRF address policy applied when each connection is opened (as the undici agent does), and
 * timeouts. What makes it worth having next to undici: the socket reads straight into blocks of the
 * part's memory-budget lease (net's `onread` with a buffer of our choosing) and the body reaches the
 * upload as subarrays of those blocks, handed back once written. No buffer is allocated per chunk,
 * nothing is copied on the way, and no stream machinery runs per chunk: most of the worker's CPU
 * per GiB and all of its garbage used to be spent there. Metadata requests use it too (so undici's
 * wasm parser never warms up, and its tier-up compile never spikes memory mid-import); only the
 * streaming fallback's whole-object read stays on undici, as a stream.
 */
export class PooledHttpClient {
  readonly #options: Required<Omit<PooledHttpOptions, 'resolveAll' | 'ca'>>;
  readonly #ca: string | Buffer | undefined;
  readonly #lookup: LookupFunction;
  readonly #idle = new Map<string, Connection[]>();
  readonly #open = new Set<Connection>();
  readonly #tlsSessions = new Map<string, Buffer>();
  #closed = false;

  constructor(options: PooledHttpOptions) {
    this.#options = {
      allowPrivate: options.allowPrivate,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      headersTimeoutMs: options.headersTimeoutMs ?? 30_000,
      bodyTimeoutMs: options.bodyTimeoutMs ?? 60_000,
      minBytesPerSecond: options.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND,
      keepAliveMs: options.keepAliveMs ?? 4_000,
    };
    this.#lookup = guardedLookup(options.allowPrivate, options.resolveAll);
    this.#ca = options.ca;
  }

  /** The body floor and the window it is judged over, for reads of the same sources outside this client. */
  get pace(): { minBytesPerSecond: number; windowMs: number } {
    return { minBytesPerSecond: this.#options.minBytesPerSecond, windowMs: this.#options.bodyTimeoutMs };
  }

  /** Connections open now, idle or busy (for tests and diagnostics). */
  get openConnections(): number {
    return this.#open.size;
  }

  /** GET or HEAD `url`, following redirects; resolves once the final response head has arrived. */
  async request(method: Method, url: string | URL, options: RequestOptions): Promise<AnsweredResponse> {
    let target = new URL(url);
    let headers = { ...options.headers };
    const maxRedirections = options.maxRedirections ?? 5;
    const blocks = options.lease ?? new UnbudgetedBlocks();
    for (let redirects = 0; ; redirects++) {
      const response = await this.#send(method, target, headers, blocks, options.signal);
      const location = headerValue(response.headers, 'location');
      if (!REDIRECTS.has(response.statusCode) || !location || redirects >= maxRedirections) {
        return { ...response, url: target };
      }
      response.body.destroy();
      // An unparsable Location is the server's mistake, made again on every try.
      const next = URL.parse(location, target.href);
      if (!next)
        throw permanentError(ErrorCode.SOURCE_PROTOCOL_ERROR, 'source redirected to a malformed URL');
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw permanentError(ErrorCode.SOURCE_CLIENT_ERROR, `source redirected to a ${next.protocol} URL`);
      }
      if (next.origin !== target.origin && options.stripOnCrossOrigin?.length) {
        const strip = new Set(options.stripOnCrossOrigin.map((name) => name.toLowerCase()));
        headers = Object.fromEntries(
          Object.entries(headers).filter(([name]) => !strip.has(name.toLowerCase())),
        );
      }
      target = next;
    }
  }

  /** Closes every connection; requests in progress fail. */
  close(): void {
    this.#closed = true;
    for (const connection of this.#open) connection.destroy();
    this.#open.clear();
    this.#idle.clear();
  }

  async #send(
    method: Method,
    url: URL,
    headers: Record<string, string>,
    blocks: Blocks,
    signal: AbortSignal,
  ): Promise<PooledResponse> {
    const span = Http1ClientSpan.start(method, url);
    try {
      const response = await this.#exchange(
        method,
        url,
        span ? { ...headers, ...span.headers } : headers,
        blocks,
        signal,
      );
      return span ? span.answered(response) : response;
    } catch (error) {
      span?.failed(error);
      throw error;
    }
  }

  async #exchange(
    method: Method,
    url: URL,
    headers: Record<string, string>,
    blocks: Blocks,
    signal: AbortSignal,
  ): Promise<PooledResponse> {
    const head = requestHead(method, url, headers);
    for (;;) {
      if (this.#closed) throw new Error('the HTTP client is closed');
      if (signal.aborted) throw signal.reason;
      const idle = this.#takeIdle(url.origin);
      const connection = idle ?? (await this.#connect(url, signal));
      try {
        return await connection.request(head, method, blocks, signal, this.#options);
      } catch (error) {
        // A kept-alive connection the server closed meanwhile never answered: GET and HEAD may go
        // again, on the next idle connection or a new one. A new connection's failure is the answer.
        if (idle && error instanceof StaleConnectionError && !signal.aborted) continue;
        throw error;
      }
    }
  }

  async #connect(url: URL, signal: AbortSignal): Promise<Connection> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // net does no lookup for an IP literal, so the policy is applied to it here.
    if (isIP(host)) {
      const refusal = addressRefusal(host, this.#options.allowPrivate);
      if (refusal) {
        throw new FerryError(ErrorCode.SOURCE_ADDRESS_REFUSED, `source address ${host} ${refusal}`, {
          status: 422,
        });
      }
    }
    const secure = url.protocol === 'https:';
    const connection = new Connection(url.origin, {
      host,
      port: Number(url.port) || (secure ? 443 : 80),
      secure,
      servername: isIP(host) ? undefined : host,
      lookup: this.#lookup,
      ca: this.#ca,
      session: this.#tlsSessions.get(url.origin),
      onSession: (session) => this.#tlsSessions.set(url.origin, session),
      onIdle: (idle, keepAliveMs) => this.#keep(idle, keepAliveMs),
      onClose: (closed) => this.#forget(closed),
    });
    this.#open.add(connection);
    await connection.connected(signal, this.#options.connectTimeoutMs);
    return connection;
  }

  #takeIdle(origin: string): Connection | null {
    const idle = this.#idle.get(origin);
    while (idle?.length) {
      const connection = idle.pop() as Connection;
      if (connection.takeFromPool()) return connection;
    }
    return null;
  }

  #keep(connection: Connection, serverKeepAliveMs: number | null): void {
    if (this.#closed) {
      connection.destroy();
      return;
    }
    // Leave a second to spare before the server's own limit, so it does not close while we send.
    const ms = Math.min(
      this.#options.keepAliveMs,
      serverKeepAliveMs === null ? Number.POSITIVE_INFINITY : serverKeepAliveMs - 1000,
    );
    if (ms <= 0) {
      connection.destroy();
      return;
    }
    connection.idleFor(ms);
    const list = this.#idle.get(connection.origin) ?? [];
    list.push(connection);
    this.#idle.set(connection.origin, list);
  }

  #forget(connection: Connection): void {
    this.#open.delete(connection);
    const idle = this.#idle.get(connection.origin);
    const index = idle?.indexOf(connection) ?? -1;
    if (idle && index >= 0) idle.splice(index, 1);
    if (idle?.length === 0) this.#idle.delete(connection.origin);
  }
}

/** Blocks for requests outside the budget (metadata): small, allocated when needed, never reused. */
class UnbudgetedBlocks implements Blocks {
  readonly canTake = true;
  onBlockReturned: (() => void) | null = null;

  takeBlock(): Buffer {
    return Buffer.allocUnsafe(UNBUDGETED_BLOCK);
  }

  giveBlock(): void {}
}

function requestHead(method: Method, url: URL, headers: Record<string, string>): Buffer {
  let head = `${method} ${url.pathname || '/'}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name) || /[\0\r\n]/.test(value) || name.toLowerCase() === 'host') {
      throw permanentError(ErrorCode.SOURCE_CLIENT_ERROR, `source header "${name}" cannot be sent`);
    }
    head += `${name}: ${value}\r\n`;
  }
  return Buffer.from(`${head}\r\n`, 'latin1');
}
