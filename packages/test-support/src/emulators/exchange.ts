import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** One request and its answer, carrying what the request log records about it. */
export class Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Arrival time on the emulator's clock. */
  readonly at: number;
  readonly url: URL;
  endpoint = 'unknown';
  account: string | null = null;
  rateLimited = false;
  bytesSent = 0;

  constructor(req: IncomingMessage, res: ServerResponse, at: number) {
    this.req = req;
    this.res = res;
    this.at = at;
    this.url = new URL(req.url ?? '/', 'http://emulator.invalid');
  }

  /** The token of an `Authorization: Bearer` header, or null when there is none. */
  bearerToken(): string | null {
    const match = /^Bearer +(\S+) *$/i.exec(this.req.headers.authorization ?? '');
    return match?.[1] ?? null;
  }

  /** The request body, or null when it is longer than `limit` bytes. */
  async body(limit = 64 * 1024): Promise<Buffer | null> {
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of this.req) {
      length += (chunk as Buffer).length;
      if (length > limit) return null;
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  json(status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
    this.#send(status, 'application/json', JSON.stringify(body), headers);
  }

  text(status: number, body: string, headers: OutgoingHttpHeaders = {}): void {
    this.#send(status, 'text/plain; charset=utf-8', body, headers);
  }

  empty(status: number, headers: OutgoingHttpHeaders = {}): void {
    this.res.writeHead(status, { 'content-length': 0, ...headers });
    this.res.end();
  }

  #send(status: number, contentType: string, body: string, headers: OutgoingHttpHeaders): void {
    const bytes = Buffer.from(body);
    this.res.writeHead(status, { 'content-type': contentType, 'content-length': bytes.length, ...headers });
    this.res.end(bytes);
    this.bytesSent += bytes.length;
  }
}
