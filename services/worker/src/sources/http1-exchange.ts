import type { BufferLease } from '../bytes/memory-budget.ts';
import type { PartStream, PartStreamHandlers } from '../bytes/part-stream.ts';
import { BodyPace } from './body-pace.ts';
import { HeadReader } from './http1-head-reader.ts';
import {
  BodyDecoder,
  type BodyFraming,
  bodyFraming,
  ConnectionLostError,
  HttpProtocolError,
  keepsAlive,
  type ResponseHead,
  type ResponseHeaders,
  serverKeepAliveMs,
} from './http1-response.ts';

export type Method = 'GET' | 'HEAD';

export interface PooledResponse {
  statusCode: number;
  headers: ResponseHeaders;
  /** The body: started, or destroyed when not wanted (which closes the connection unless it ended). */
  body: PartStream;
}

/** Where an exchange gets the blocks it reads a body into: a budget lease, or plain allocations. */
export type Blocks = Pick<BufferLease, 'takeBlock' | 'giveBlock' | 'canTake' | 'onBlockReturned'>;

/** What an exchange needs of the connection it runs on. */
export interface ExchangeHost {
  /** The exchange ended cleanly: keep the connection for another, or close it. */
  finished(exchange: Exchange, reusable: boolean, serverKeepAliveMs: number | null): void;
  /** The exchange failed or was dropped mid-way: close the connection. */
  abandoned(exchange: Exchange): void;
  pauseReading(): void;
  resumeReading(timeoutMs: number): void;
}

export interface ExchangeTimeouts {
  /** From the request to the end of the response head. */
  headersTimeoutMs: number;
  /** Longest silence while the body is being read; also the window the pace floor is judged over. */
  bodyTimeoutMs: number;
  /** Least average payload rate while the body is being read (0: no floor). */
  minBytesPerSecond: number;
}

/** Reads smaller than this go to a fresh block rather than the tail of the current one. */
const MIN_READ = 16 * 1024;
const noop = (): void => {};

/** The request never got a byte of answer on a connection that had served one before. */
export class StaleConnectionError extends Error {
  constructor(cause: unknown) {
    super('kept-alive connection closed before answering', { cause });
    this.name = 'StaleConnectionError';
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
export class Exchange implements PartStream {
  readonly response: Promise<PooledResponse>;
  readonly #connection: ExchangeHost;
  readonly #method: Method;
  readonly #lease: Blocks;
  readonly #signal: AbortSignal;
  readonly #timeouts: ExchangeTimeouts;
  readonly #reused: boolean;
  #state: 'head' | 'body' | 'done' | 'failed' = 'head';
  #resolve!: (response: PooledResponse) => void;
  #reject!: (error: unknown) => void;
  readonly #headReader = new HeadReader();
  #responseHead: ResponseHead | null = null;
  #pace: BodyPace | null = null;
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
    connection: ExchangeHost,
    method: Method,
    lease: Blocks,
    signal: AbortSignal,
    timeouts: ExchangeTimeouts,
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
    this.failed(new ConnectionLostError('connection closed by the source'));
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
    const found = this.#headReader.push(piece);
    if (!found) return;
    this.#startBody(found.head);
    if (found.rest > 0 && this.#method === 'HEAD') {
      // Some servers send a body with a HEAD answer: the head is good, the connection out of step.
      this.#reusable = false;
      this.#complete();
    } else if (found.rest > 0) {
      // What follows the head in this read is body: it lies within `piece`, the latest read.
      this.#onBodyBytes(piece.subarray(piece.length - found.rest), ref);
    } else if (this.#decoder?.done) this.#complete();
  }

  #startBody(head: ResponseHead): void {
    if (this.#headersTimer) clearTimeout(this.#headersTimer);
    this.#headersTimer = null;
    // A response to HEAD has no body, whatever its headers say of the body a GET would get.
    const framing: BodyFraming = this.#method === 'HEAD' ? { kind: 'length', length: 0 } : bodyFraming(head);
    this.#responseHead = head;
    this.#decoder = new BodyDecoder(framing);
    this.#reusable = keepsAlive(head, framing);
    this.#pace = new BodyPace(this.#timeouts.minBytesPerSecond, this.#timeouts.bodyTimeoutMs);
    this.#state = 'body';
    // Held until the consumer starts: nothing is read into blocks nobody is taking yet.
    this.#consumerPaused = true;
    this.#resolve({ statusCode: head.statusCode, headers: head.headers, body: this });
  }

  #onBodyBytes(raw: Buffer, ref: BlockRef | null): void {
    const decoder = this.#decoder as BodyDecoder;
    const before = decoder.received;
    const used = decoder.feed(raw, (payload) => this.#deliver(payload, ref));
    // Payload, not raw bytes: chunk framing and trailers padded out do not keep a body alive.
    this.#pace?.count(decoder.received - before);
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
    else if (this.#state === 'body' && !this.#noRoom) this.#resumeBody();
  }

  #resumeBody(): void {
    this.#pace?.restart();
    this.#connection.resumeReading(this.#timeouts.bodyTimeoutMs);
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
    if (this.#state === 'body' && !this.#consumerPaused && this.#queue.length === 0) this.#resumeBody();
  };

  readonly #onAbort = (): void => {
    this.failed(this.#signal.reason instanceof Error ? this.#signal.reason : new Error('aborted'));
  };
}
