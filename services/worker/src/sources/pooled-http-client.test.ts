import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BLOCK_SIZE, type BufferLease, MemoryBudget } from '../bytes/memory-budget.ts';
import type { PartStream } from '../bytes/part-stream.ts';
import { readPartStream } from '../testing/read-part-stream.ts';
import { PooledHttpClient } from './pooled-http-client.ts';

const KIB = 1024;

interface RawRequest {
  head: string;
  /** Requests seen on this connection before this one. */
  index: number;
  connection: number;
}

/**
 * A TCP server answering each HTTP request head with whatever bytes the test writes: lying
 * Content-Lengths, early closes, extra bytes, chunked bodies. Counts connections.
 */
async function startRawServer(answer: (request: RawRequest, socket: Socket) => void) {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = '';
    let index = 0;
    socket.on('data', (data) => {
      pending += data.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        answer({ head, index: index++, connection }, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function partialContent(body: Buffer, extra: Record<string, string> = {}): Buffer {
  const headers = Object.entries({ 'Content-Length': String(body.length), ...extra })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return Buffer.concat([Buffer.from(`HTTP/1.1 206 Partial Content\r\n${headers}\r\n`), body]);
}

describe('PooledHttpClient (real servers)', () => {
  const budget = new MemoryBudget(4 * 1024 * KIB);
  const closers: Array<() => unknown> = [];
  const signal = () => new AbortController().signal;
  const lease = (bytes = 512 * KIB) => budget.acquire(bytes, signal());
  const client = (options: Partial<ConstructorParameters<typeof PooledHttpClient>[0]> = {}) => {
    const made = new PooledHttpClient({ allowPrivate: true, ...options });
    closers.push(() => made.close());
    return made;
  };
  const raw = async (answer: Parameters<typeof startRawServer>[0]) => {
    const server = await startRawServer(answer);
    closers.push(() => server.close());
    return server;
  };

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    expect(budget.reserved).toBe(0);
  });

  it('reads the body straight into the lease blocks, which all come back', async () => {
    const body = randomBytes(1024 * KIB + 123);
    const server = await raw((_, socket) => socket.write(partialContent(body)));
    const held = await lease();
    try {
      const response = await client().request('GET', `${server.url}/f`, {
        headers: {},
        signal: signal(),
        lease: held,
      });
      expect(response.statusCode).toBe(206);
      const pieces: Buffer[] = [];
      await new Promise<void>((resolve, reject) =>
        response.body.start({
          piece: (piece, release) => {
            // A view into a budget block: no allocation, no copy per chunk.
            expect(piece.buffer.byteLength).toBe(BLOCK_SIZE);
            pieces.push(Buffer.from(piece));
            release();
          },
          end: resolve,
          error: reject,
        }),
      );
      expect(Buffer.concat(pieces)).toEqual(body);
      // Every block is back: the lease can hand out its whole window again.
      expect([held.takeBlock(), held.takeBlock()].every(Boolean)).toBe(true);
    } finally {
      held.release();
    }
  });

  it('stops reading while the consumer holds every block, and goes on when they come back', async () => {
    const body = randomBytes(2048 * KIB);
    const server = await raw((_, socket) => socket.write(partialContent(body)));
    const held = await lease(512 * KIB);
    try {
      const response = await client().request('GET', `${server.url}/f`, {
        headers: {},
        signal: signal(),
        lease: held,
      });
      const kept: Array<() => void> = [];
      const received: Buffer[] = [];
      let heldBytes = 0;
      let maxHeld = 0;
      const done = new Promise<void>((resolve, reject) =>
        response.body.start({
          piece: (piece, release) => {
            received.push(Buffer.from(piece));
            kept.push(release);
            heldBytes += piece.length;
            maxHeld = Math.max(maxHeld, heldBytes);
            // Hand the blocks back only once the window is full, all at once.
            if (!held.canTake && heldBytes >= 256 * KIB) {
              setImmediate(() => {
                heldBytes = 0;
                for (const release of kept.splice(0)) release();
              });
            }
          },
          end: resolve,
          error: reject,
        }),
      );
      await done;
      expect(Buffer.concat(received)).toEqual(body);
      // Never more unreleased bytes than the lease's two blocks.
      expect(maxHeld).toBeLessThanOrEqual(512 * KIB);
    } finally {
      held.release();
    }
  });

  it('keeps the connection for the next request, and sends another when a kept one was closed', async () => {
    const server = await raw((request, socket) => {
      // The third request on a connection finds it closed by the server, as a keep-alive race does.
      if (request.index === 2) socket.destroy();
      else socket.write(partialContent(Buffer.from(`hello ${request.connection}`)));
    });
    const http = client();
    const get = async () => {
      const held = await lease();
      try {
        const response = await http.request('GET', `${server.url}/f`, {
          headers: {},
          signal: signal(),
          lease: held,
        });
        return (await readPartStream(response.body)).toString();
      } finally {
        held.release();
      }
    };
    expect(await get()).toBe('hello 1');
    expect(await get()).toBe('hello 1');
    expect(server.connections).toBe(1);
    expect(await get()).toBe('hello 2');
    expect(server.connections).toBe(2);
  });

  it('decodes a chunked body', async () => {
    const server = await raw((_, socket) =>
      socket.write(
        'HTTP/1.1 206 Partial Content\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n',
      ),
    );
    const held = await lease();
    try {
      const response = await client().request('GET', `${server.url}/f`, {
        headers: {},
        signal: signal(),
        lease: held,
      });
      expect((await readPartStream(response.body)).toString()).toBe('hello, world');
    } finally {
      held.release();
    }
  });

  it('fails a body cut short and a body longer than its Content-Length', async () => {
    const server = await raw((request, socket) => {
      if (request.head.includes('/short')) {
        socket.write(
          Buffer.concat([Buffer.from('HTTP/1.1 206 OK\r\nContent-Length: 1000\r\n\r\n'), Buffer.alloc(500)]),
        );
        socket.end();
      } else {
        socket.write(
          Buffer.concat([Buffer.from('HTTP/1.1 206 OK\r\nContent-Length: 10\r\n\r\n'), Buffer.alloc(20)]),
        );
      }
    });
    const http = client();
    for (const [path, message] of [
      ['/short', /closed before the body ended/],
      ['/long', /more bytes than its response announced/],
    ] as const) {
      const held = await lease();
      try {
        const response = await http.request('GET', `${server.url}${path}`, {
          headers: {},
          signal: signal(),
          lease: held,
        });
        await expect(readPartStream(response.body)).rejects.toThrow(message);
      } finally {
        held.release();
      }
    }
  });

  it('follows redirects, dropping the source headers when the origin changes', async () => {
    const seen: string[] = [];
    const target = await raw((request, socket) => {
      seen.push(request.head);
      socket.write(partialContent(Buffer.from('there')));
    });
    const origin = await raw((request, socket) => {
      seen.push(request.head);
      if (request.head.startsWith('GET /moved'))
        return void socket.write(partialContent(Buffer.from('here')));
      const location = request.head.startsWith('GET /same') ? '/moved' : `${target.url}/elsewhere`;
      socket.write(`HTTP/1.1 302 Found\r\nLocation: ${location}\r\nContent-Length: 0\r\n\r\n`);
    });
    const http = client();
    const get = async (path: string) => {
      const held = await lease();
      try {
        const response = await http.request('GET', `${origin.url}${path}`, {
          headers: { 'x-secret': 'hunter2' },
          signal: signal(),
          lease: held,
          stripOnCrossOrigin: ['X-Secret'],
        });
        return (await readPartStream(response.body)).toString();
      } finally {
        held.release();
      }
    };
    expect(await get('/same')).toBe('here');
    expect(seen.at(-1)).toMatch(/^GET \/moved[\s\S]*x-secret: hunter2/);
    expect(await get('/away')).toBe('there');
    expect(seen.at(-1)).toMatch(/^GET \/elsewhere/);
    expect(seen.at(-1)).not.toMatch(/x-secret/i);
  });

  it('answers HEAD without a body, whatever Content-Length says, and keeps the connection', async () => {
    const server = await raw((request, socket) =>
      socket.write(
        request.head.startsWith('HEAD')
          ? 'HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nETag: "v1"\r\n\r\n'
          : partialContent(Buffer.from('x')),
      ),
    );
    const http = client();
    const head = await http.request('HEAD', `${server.url}/f`, { headers: {}, signal: signal() });
    expect(head.headers).toMatchObject({ 'content-length': '5000', etag: '"v1"' });
    expect((await readPartStream(head.body)).length).toBe(0);
    const get = await http.request('GET', `${server.url}/f`, { headers: {}, signal: signal() });
    expect((await readPartStream(get.body)).toString()).toBe('x');
    expect(server.connections).toBe(1);
  });

  it('takes the head of a HEAD answer that comes with a body, and does not reuse that connection', async () => {
    const server = await raw((request, socket) =>
      socket.write(
        request.head.startsWith('HEAD')
          ? 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'
          : partialContent(Buffer.from('x')),
      ),
    );
    const http = client();
    const head = await http.request('HEAD', `${server.url}/f`, { headers: {}, signal: signal() });
    expect(head.headers).toMatchObject({ 'content-length': '5' });
    expect((await readPartStream(head.body)).length).toBe(0);
    const get = await http.request('GET', `${server.url}/f`, { headers: {}, signal: signal() });
    expect((await readPartStream(get.body)).toString()).toBe('x');
    expect(server.connections).toBe(2);
  });

  it('gives up on a source that does not answer, or goes silent mid-body', async () => {
    const server = await raw((request, socket) => {
      if (request.head.includes('/stall')) socket.write('HTTP/1.1 206 OK\r\nContent-Length: 100\r\n\r\nabc');
    });
    const http = client({ headersTimeoutMs: 100, bodyTimeoutMs: 100 });
    await expect(
      http.request('GET', `${server.url}/mute`, { headers: {}, signal: signal() }),
    ).rejects.toThrow(/no response within 100 ms/);
    const stalled = await http.request('GET', `${server.url}/stall`, { headers: {}, signal: signal() });
    await expect(readPartStream(stalled.body)).rejects.toThrow(/nothing for 100 ms/);
  });

  it('stops at once when the signal aborts mid-body', async () => {
    const server = await raw((_, socket) =>
      socket.write('HTTP/1.1 206 OK\r\nContent-Length: 100000\r\n\r\nabc'),
    );
    const abort = new AbortController();
    const held = await lease();
    try {
      const response = await client().request('GET', `${server.url}/f`, {
        headers: {},
        signal: abort.signal,
        lease: held,
      });
      const read = readPartStream(response.body);
      abort.abort(new Error('canceled'));
      await expect(read).rejects.toThrow('canceled');
    } finally {
      held.release();
    }
  });

  describe('over TLS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-tls-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads into the lease blocks through a TLS socket as well', async () => {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost']
          .concat(['-addext', 'subjectAltName=DNS:localhost', '-keyout', join(dir, 'key.pem')])
          .concat(['-out', join(dir, 'cert.pem')]),
        { stdio: 'ignore' },
      );
      const cert = readFileSync(join(dir, 'cert.pem'));
      const body = randomBytes(700 * KIB);
      const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (_, res) => {
        res.writeHead(206, { 'content-length': body.length });
        res.end(body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      closers.push(() => new Promise((resolve) => server.close(resolve)));
      server.on('secureConnection', (socket) => closers.push(() => socket.destroy()));
      const { port } = server.address() as AddressInfo;
      const http = client({ ca: cert, resolveAll: async () => [{ address: '127.0.0.1', family: 4 }] });
      const held: BufferLease = await lease();
      try {
        const response = await http.request('GET', `https://localhost:${port}/f`, {
          headers: {},
          signal: signal(),
          lease: held,
        });
        const stream: PartStream = response.body;
        expect(await readPartStream(stream)).toEqual(body);
      } finally {
        held.release();
      }
    });
  });
});
