import { isIP, type LookupFunction, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { addressRefusal, ErrorCode, FerryError, guardedLookup, type ResolveAll } from '@ferry/shared';
import { permanentError } from '../errors/transfer-error.ts';
import type { BufferLease } from '../transfer/memory-budget.ts';
import type { PartStream, PartStreamHandlers } from '../transfer/part-stream.ts';
import {
  BodyDecoder,
  type BodyFraming,
  bodyFraming,
  HttpProtocolError,
  headerValue,
  keepsAlive,
  parseResponseHead,
  type ResponseHead,
  type ResponseHeaders,
} from './http1-response.ts';

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

export interface PooledResponse {
  statusCode: number;
  headers: ResponseHeaders;
  /** The body: started, or destroyed when not wanted (which closes the connection unless it ended). */
  body: PartStream;
}

export type Method = 'GET' | 'HEAD';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Reads smaller than this go to a fresh block rather than the tail of the current one. */
const MIN_READ = 16 * 1024;
/** Per connection: where bytes land when no budget block is at hand; copied out before use. */
const SPARE_BYTES = 16 * 1024;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const noop = (): void => {};

/**
 * The HTTP/1.1 client of ranged part reads: GET only, keep-alive connections per origin, redirects,
 * the SSRF address policy applied when each connection is opened (as the undici agent does), and
 * timeouts. What makes it worth having next to undici: the socket reads straight into blocks of the
 * part's memory-budget lease (net's `onread` with a buffer of our choosing) and the body reaches the
 * upload as subarrays of those blocks, handed back once written. No buffer is allocated per chunk,
 * nothing is copied on the way, and no stream machinery runs per chunk: most of the worker's CPU
 * per GiB and all of its garbage used to be spent there. Metadata requests and the streaming
 * fallback stay on undici.
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
      keepAliveMs: options.keepAliveMs ?? 4_000,
    };
    this.#lookup = guardedLookup(options.allowPrivate, options.resolveAll);
    this.#ca = options.ca;
  }

  /** Connections open now, idle or busy (for tests and diagnostics). */
  get openConnections(): number {
    return this.#open.size;
  }

  /** GET or HEAD `url`, following redirects; resolves once the final response head has arrived. */
  async request(method: Method, url: string | URL, options: RequestOptions): Promise<PooledResponse> {
    let target = new URL(url);
    let headers = { ...options.headers };
    const maxRedirections = options.maxRedirections ?? 5;
    const blocks = options.lease ?? new UnbudgetedBlocks();
    for (let redirects = 0; ; redirects++) {
      const response = await this.#send(method, target, headers, blocks, options.signal);
      const location = headerValue(response.headers, 'location');
      if (!REDIRECTS.has(response.statusCode) || !location || redirects >= maxRedirections) return response;
      response.body.destroy();
      const next = new URL(location, target);
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

/** Where an exchange gets the blocks it reads a body into: a budget lease, or plain allocations. */
type Blocks = Pick<BufferLease, 'takeBlock' | 'giveBlock' | 'canTake' | 'onBlockReturned'>;

/** Blocks for requests outside the budget (metadata): small, allocated when needed, never reused. */
class UnbudgetedBlocks implements Blocks {
  readonly canTake = true;
  onBlockReturned: (() => void) | null = null;

  takeBlock(): Buffer {
    return Buffer.allocUnsafe(SPARE_BYTES);
  }

  giveBlock(): void {}
}

/** The request never got a byte of answer on a connection that had served one before. */
class StaleConnectionError extends Error {
  constructor(cause: unknown) {
    super('kept-alive connection closed before answering', { cause });
    this.name = 'StaleConnectionError';
  }
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

interface ConnectionOptions {
  host: string;
  port: number;
  secure: boolean;
  servername: string | undefined;
  lookup: LookupFunction;
  ca: string | Buffer | undefined;
  session: Buffer | undefined;
  onSession: (session: Buffer) => void;
  onIdle: (connection: Connection, serverKeepAliveMs: number | null) => void;
  onClose: (connection: Connection) => void;
}

/** One keep-alive connection, carrying one exchange at a time. */
class Connection {
  readonly origin: string;
  readonly #socket: Socket;
  readonly #spare = Buffer.allocUnsafeSlow(SPARE_BYTES);
  readonly #onIdle: ConnectionOptions['onIdle'];
  #exchange: Exchange | null = null;
  #served = 0;
  #idleTimer: NodeJS.Timeout | null = null;
  #closed = false;
  #connected = false;
  #connectError: Error | null = null;

  constructor(origin: string, options: ConnectionOptions) {
    this.origin = origin;
    this.#onIdle = options.onIdle;
    const onread = {
      buffer: () => this.#exchange?.nextBuffer(this.#spare) ?? this.#spare,
      callback: (read: number, buffer: Buffer) => this.#onRead(read, buffer),
    };
    const base = { host: options.host, port: options.port, lookup: options.lookup, onread, noDelay: true };
    this.#socket = options.secure
      ? tlsConnect({
          ...base,
          servername: options.servername,
          ALPNProtocols: ['http/1.1'],
          ...(options.ca ? { ca: options.ca } : {}),
          ...(options.session ? { session: options.session } : {}),
        })
      : netConnect(base);
    if (options.secure) this.#socket.on('session', options.onSession);
    this.#socket.setKeepAlive(true, 30_000);
    this.#socket.on('error', (error: Error) => {
      if (!this.#connected) this.#connectError ??= error;
      this.#fail(error);
    });
    this.#socket.on('end', () => {
      if (this.#exchange) this.#exchange.eof();
      else this.destroy();
    });
    this.#socket.on('timeout', () => this.#exchange?.timedOut());
    this.#socket.on('close', () => {
      this.#closed = true;
      this.#clearIdle();
      this.#fail(new HttpProtocolError('connection closed'));
      options.onClose(this);
    });
  }

  get socket(): Socket {
    return this.#socket;
  }

  async connected(signal: AbortSignal, timeoutMs: number): Promise<void> {
    const event = 'encrypted' in this.#socket ? 'secureConnect' : 'connect';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`could not connect within ${timeoutMs} ms`)), timeoutMs);
      const onAbort = () => done(signal.reason);
      const onConnect = () => done(null);
      const onClose = () => done(this.#connectError ?? new Error('connection closed while connecting'));
      const done = (error: unknown) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.#socket.off(event, onConnect);
        this.#socket.off('close', onClose);
        if (error === null) {
          this.#connected = true;
          resolve();
        } else {
          this.destroy();
          reject(error);
        }
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#socket.once(event, onConnect);
      this.#socket.once('close', onClose);
    });
  }

  /** Sends a request; resolves with the response once its head has arrived. */
  request(
    head: Buffer,
    method: Method,
    blocks: Blocks,
    signal: AbortSignal,
    timeouts: { headersTimeoutMs: number; bodyTimeoutMs: number },
  ): Promise<PooledResponse> {
    if (this.#closed) return Promise.reject(new StaleConnectionError(null));
    const exchange = new Exchange(this, method, blocks, signal, timeouts, this.#served > 0);
    this.#exchange = exchange;
    this.#socket.write(head);
    this.resumeReading(0);
    return exchange.response;
  }

  /** The exchange ended cleanly: keep the connection for another, or close it. */
  finished(exchange: Exchange, reusable: boolean, serverKeepAliveMs: number | null): void {
    if (this.#exchange !== exchange) return;
    this.#exchange = null;
    this.#served++;
    if (!reusable || this.#closed) {
      this.destroy();
      return;
    }
    // Reading goes on while idle: a close or stray bytes from the server are noticed at once.
    this.#socket.setTimeout(0);
    this.resumeReading(0);
    this.#onIdle(this, serverKeepAliveMs);
  }

  /** The exchange failed or was dropped mid-way: the connection's state is unknown, close it. */
  abandoned(exchange: Exchange): void {
    if (this.#exchange === exchange) this.#exchange = null;
    this.destroy();
  }

  idleFor(ms: number): void {
    this.#clearIdle();
    this.#idleTimer = setTimeout(() => this.destroy(), ms);
    this.#idleTimer.unref();
  }

  /** Claims an idle connection for a request; false when it is no longer usable. */
  takeFromPool(): boolean {
    this.#clearIdle();
    if (this.#closed || this.#socket.destroyed) return false;
    return true;
  }

  pauseReading(): void {
    this.#socket.pause();
    this.#socket.setTimeout(0);
  }

  resumeReading(timeoutMs: number): void {
    this.#socket.setTimeout(timeoutMs);
    this.#socket.resume();
  }

  destroy(): void {
    this.#clearIdle();
    this.#socket.destroy();
  }

  #onRead(read: number, buffer: Buffer): boolean {
    const exchange = this.#exchange;
    if (!exchange) {
      // Nothing was asked: bytes on an idle connection mean it is out of step. Drop it.
      this.destroy();
      return false;
    }
    return exchange.onRead(read, buffer, buffer.buffer === this.#spare.buffer);
  }

  #fail(error: Error): void {
    const exchange = this.#exchange;
    if (exchange) exchange.failed(error);
    else if (!this.#closed) this.destroy();
  }

  #clearIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }
}

/** A block of the lease the socket reads into, and how many delivered pieces still point into it. */
class BlockRef {
  readonly block: Buffer;
  refs = 0;
  /** Reading has moved past it: it goes back to the lease once refs reaches 0. */
  retired = false;

  constructor(block: Buffer) {
    this.block = block;
  }
}

/**
 * One request and its response on a connection, and the response body as a PartStream. The socket
 * reads into the current block of the lease, at the offset where the previous read ended; a block
 * too full for another read is retired and goes back to the lease once every piece in it has been
 * released. When the lease has no block free, reading pauses until one comes back.
 */
class Exchange implements PartStream {
  readonly response: Promise<PooledResponse>;
  readonly #connection: Connection;
  readonly #method: Method;
  readonly #lease: Blocks;
  readonly #signal: AbortSignal;
  readonly #timeouts: { headersTimeoutMs: number; bodyTimeoutMs: number };
  readonly #reused: boolean;
  #state: 'head' | 'body' | 'done' | 'failed' = 'head';
  #resolve!: (response: PooledResponse) => void;
  #reject!: (error: unknown) => void;
  #head: Buffer | null = null;
  #responseHead: ResponseHead | null = null;
  #decoder: BodyDecoder | null = null;
  #reusable = false;
  #headersTimer: NodeJS.Timeout | null = null;
  #current: BlockRef | null = null;
  #offset = 0;
  #received = 0;
  #handlers: PartStreamHandlers | null = null;
  /** Pieces read while the consumer was not taking them. */
  readonly #queue: Array<{ piece: Buffer; release: () => void }> = [];
  #consumerPaused = false;
  #noRoom = false;
  #error: Error | null = null;
  #endDelivered = false;

  constructor(
    connection: Connection,
    method: Method,
    lease: Blocks,
    signal: AbortSignal,
    timeouts: { headersTimeoutMs: number; bodyTimeoutMs: number },
    reused: boolean,
  ) {
    this.#connection = connection;
    this.#method = method;
    this.#lease = lease;
    this.#signal = signal;
    this.#timeouts = timeouts;
    this.#reused = reused;
    this.response = new Promise<PooledResponse>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.response.catch(noop);
    lease.onBlockReturned = this.#onRoom;
    signal.addEventListener('abort', this.#onAbort, { once: true });
    this.#headersTimer = setTimeout(
      () => this.failed(new Error(`source sent no response within ${timeouts.headersTimeoutMs} ms`)),
      timeouts.headersTimeoutMs,
    );
    this.#headersTimer.unref();
  }

  // The connection's side: reading.

  /** The buffer for the socket's next read. */
  nextBuffer(spare: Buffer): Buffer {
    if (this.#state === 'done' || this.#state === 'failed') return spare;
    const current = this.#current;
    if (current && current.block.length - this.#offset >= MIN_READ)
      return current.block.subarray(this.#offset);
    this.#retire();
    const block = this.#lease.takeBlock();
    if (!block) return spare;
    this.#current = new BlockRef(block);
    this.#offset = 0;
    return block;
  }

  /** `read` bytes arrived in `buffer`; returns whether the socket may go on reading. */
  onRead(read: number, buffer: Buffer, intoSpare: boolean): boolean {
    if (this.#ended()) return true;
    let piece: Buffer;
    let ref: BlockRef | null;
    if (intoSpare) {
      // The bytes landed in the connection's spare buffer: move them into a block before handing
      // them on, since the spare takes the next read.
      ({ piece, ref } = this.#copyIntoBlock(buffer.subarray(0, read)));
    } else {
      ref = this.#current;
      piece = buffer.subarray(0, read);
      this.#offset += read;
    }
    this.#received += read;
    try {
      if (this.#state === 'head') this.#onHeadBytes(piece, ref);
      else this.#onBodyBytes(piece, ref);
    } catch (error) {
      this.failed(error as Error);
    }
    // Ended (the connection reads on, idle) or failed (it is closed).
    if (this.#ended()) return true;
    if (!this.#hasRoom()) this.#noRoom = true;
    return !(this.#consumerPaused || this.#noRoom);
  }

  /** The source closed its side: the end of a close-delimited body, else a failure. */
  eof(): void {
    if (this.#state === 'body' && this.#decoder) {
      try {
        this.#decoder.end();
      } catch (error) {
        this.failed(error as Error);
        return;
      }
      this.#reusable = false;
      this.#complete();
      return;
    }
    this.failed(new HttpProtocolError('connection closed by the source'));
  }

  timedOut(): void {
    if (this.#state === 'body') {
      this.failed(new Error(`source sent nothing for ${this.#timeouts.bodyTimeoutMs} ms`));
    }
  }

  /** The connection failed, closed, or the source went silent. */
  failed(error: Error): void {
    if (this.#state === 'done' || this.#state === 'failed') return;
    const stale = this.#state === 'head' && this.#received === 0 && this.#reused;
    this.#finish('failed');
    this.#connection.abandoned(this);
    const reported = stale ? new StaleConnectionError(error) : error;
    if (this.#handlers) {
      if (!this.#endDelivered) this.#handlers.error(reported);
    } else {
      this.#error = reported;
      this.#reject(reported);
    }
  }

  // The consumer's side: the body as a PartStream.

  start(handlers: PartStreamHandlers): void {
    if (this.#handlers) throw new Error('a response body is read once');
    this.#handlers = handlers;
    if (this.#error) {
      handlers.error(this.#error);
      return;
    }
    this.#consumerPaused = false;
    this.#flush();
  }

  pause(): void {
    this.#consumerPaused = true;
    if (this.#state === 'body') this.#connection.pauseReading();
  }

  resume(): void {
    if (!this.#consumerPaused) return;
    this.#consumerPaused = false;
    this.#flush();
  }

  destroy(): void {
    const wasActive = this.#state === 'head' || this.#state === 'body';
    this.#handlers = null;
    this.#endDelivered = true;
    if (wasActive) {
      this.#finish('failed');
      this.#connection.abandoned(this);
    }
    this.#dropQueue();
  }

  // Inside.

  #onHeadBytes(piece: Buffer, ref: BlockRef | null): void {
    // Head bytes are parsed from a copy once they span reads: the block they sit in may be reused.
    let bytes = this.#head ? Buffer.concat([this.#head, piece]) : piece;
    for (;;) {
      const head = parseResponseHead(bytes);
      if (!head) {
        this.#head = bytes === piece ? Buffer.from(piece) : bytes;
        return;
      }
      const rest = bytes.length - head.length;
      // 1xx answers (103 Early Hints...) come before the real one.
      if (head.statusCode < 200) {
        bytes = bytes.subarray(head.length);
        if (rest === 0) {
          this.#head = null;
          return;
        }
        continue;
      }
      this.#head = null;
      this.#startBody(head);
      // What follows the head in this read is body: it lies within `piece`, the latest read.
      if (rest > 0) this.#onBodyBytes(piece.subarray(piece.length - rest), ref);
      else if (this.#decoder?.done) this.#complete();
      return;
    }
  }

  #startBody(head: ResponseHead): void {
    if (this.#headersTimer) clearTimeout(this.#headersTimer);
    this.#headersTimer = null;
    // A response to HEAD has no body, whatever its headers say of the body a GET would get.
    const framing: BodyFraming = this.#method === 'HEAD' ? { kind: 'length', length: 0 } : bodyFraming(head);
    this.#responseHead = head;
    this.#decoder = new BodyDecoder(framing);
    this.#reusable = keepsAlive(head, framing);
    this.#state = 'body';
    // Held until the consumer starts: nothing is read into blocks nobody is taking yet.
    this.#consumerPaused = true;
    this.#resolve({ statusCode: head.statusCode, headers: head.headers, body: this });
  }

  #onBodyBytes(raw: Buffer, ref: BlockRef | null): void {
    const decoder = this.#decoder as BodyDecoder;
    const used = decoder.feed(raw, (payload) => this.#deliver(payload, ref));
    if (used < raw.length) {
      throw new HttpProtocolError('source sent more bytes than its response announced');
    }
    if (decoder.done) this.#complete();
  }

  #deliver(payload: Buffer, ref: BlockRef | null): void {
    let release = noop;
    if (ref) {
      ref.refs++;
      release = () => this.#release(ref);
    }
    if (this.#handlers && !this.#consumerPaused && this.#queue.length === 0) {
      this.#handlers.piece(payload, release);
    } else {
      this.#queue.push({ piece: payload, release });
    }
  }

  #flush(): void {
    while (this.#queue.length > 0 && this.#handlers && !this.#consumerPaused) {
      const { piece, release } = this.#queue.shift() as { piece: Buffer; release: () => void };
      this.#handlers.piece(piece, release);
    }
    if (!this.#handlers || this.#consumerPaused || this.#queue.length > 0) return;
    if (this.#state === 'done') this.#deliverEnd();
    else if (this.#state === 'body' && !this.#noRoom) {
      this.#connection.resumeReading(this.#timeouts.bodyTimeoutMs);
    }
  }

  #complete(): void {
    const head = this.#responseHead as ResponseHead;
    this.#finish('done');
    this.#connection.finished(this, this.#reusable, serverKeepAliveMs(head.headers));
    this.#flush();
  }

  #deliverEnd(): void {
    if (this.#endDelivered) return;
    this.#endDelivered = true;
    this.#handlers?.end();
  }

  #finish(state: 'done' | 'failed'): void {
    this.#state = state;
    if (this.#headersTimer) clearTimeout(this.#headersTimer);
    this.#headersTimer = null;
    this.#signal.removeEventListener('abort', this.#onAbort);
    if (this.#lease.onBlockReturned === this.#onRoom) this.#lease.onBlockReturned = null;
    this.#retire();
    if (state === 'failed') this.#dropQueue();
  }

  #ended(): boolean {
    return this.#state === 'done' || this.#state === 'failed';
  }

  #dropQueue(): void {
    for (const { release } of this.#queue.splice(0)) release();
  }

  #hasRoom(): boolean {
    const current = this.#current;
    return (current !== null && current.block.length - this.#offset >= MIN_READ) || this.#lease.canTake;
  }

  #copyIntoBlock(bytes: Buffer): { piece: Buffer; ref: BlockRef | null } {
    let current = this.#current;
    if (!current || current.block.length - this.#offset < bytes.length) {
      this.#retire();
      const block = this.#lease.takeBlock();
      // No block free (the lease's blocks all held elsewhere): an owned copy, rare and small.
      if (!block) return { piece: Buffer.from(bytes), ref: null };
      current = new BlockRef(block);
      this.#current = current;
      this.#offset = 0;
    }
    bytes.copy(current.block, this.#offset);
    const piece = current.block.subarray(this.#offset, this.#offset + bytes.length);
    this.#offset += bytes.length;
    return { piece, ref: current };
  }

  #retire(): void {
    const current = this.#current;
    if (!current) return;
    this.#current = null;
    current.retired = true;
    if (current.refs === 0) this.#lease.giveBlock(current.block);
  }

  #release(ref: BlockRef): void {
    ref.refs--;
    if (ref.refs === 0 && ref.retired) this.#lease.giveBlock(ref.block);
  }

  readonly #onRoom = (): void => {
    if (!this.#noRoom) return;
    this.#noRoom = false;
    if (this.#state === 'body' && !this.#consumerPaused && this.#queue.length === 0) {
      this.#connection.resumeReading(this.#timeouts.bodyTimeoutMs);
    }
  };

  readonly #onAbort = (): void => {
    this.failed(this.#signal.reason instanceof Error ? this.#signal.reason : new Error('aborted'));
  };
}

/** The server's `Keep-Alive: timeout=N`, in ms. */
function serverKeepAliveMs(headers: ResponseHeaders): number | null {
  const match = /(?:^|[\s,])timeout=(\d+)/i.exec(headerValue(headers, 'keep-alive') ?? '');
  return match?.[1] ? Number(match[1]) * 1000 : null;
}
