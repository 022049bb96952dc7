import { type LookupFunction, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  type Blocks,
  Exchange,
  type ExchangeHost,
  type ExchangeTimeouts,
  type Method,
  type PooledResponse,
  StaleConnectionError,
} from './http1-exchange.ts';
import { ConnectionLostError } from './http1-response.ts';

/** Per connection: where bytes land when no budget block is at hand; copied out before use. */
const SPARE_BYTES = 16 * 1024;

export interface ConnectionOptions {
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
export class Connection implements ExchangeHost {
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
      this.#fail(new ConnectionLostError('connection closed'));
      options.onClose(this);
    });
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
    timeouts: ExchangeTimeouts,
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
