import { type AddressInfo, createServer, type Socket } from 'node:net';
import {
  HOSTILE_ANSWERS,
  HOSTILE_SIZE,
  type HostileAnswer,
  type HostileClass,
  type HostileReply,
  METADATA_HEAD,
  WHOLE_METADATA_HEAD,
} from './hostile-answers.ts';

/** A flood stops here even if the client never does, so a broken client fails the test, not the machine. */
const FLOOD_CAP_BYTES = 256 * 1024 * 1024;
/** Bytes of request head the server takes before it has seen one whole: more is the client misbehaving. */
const MAX_REQUEST_HEAD = 16 * 1024;

export interface HostileServerOptions {
  /** How often a trickling answer sends its next byte. */
  trickleMs: number;
  /** What `/file` serves, with HEAD and byte ranges done right: the healthy import beside the hostile ones. */
  file: Buffer;
}

export interface HostileServer {
  url: string;
  /** `/hostile/<class>`: answers that class's request badly and normal requests normally. */
  urlOf(name: HostileClass): string;
  /** `/file`: the healthy object. */
  fileUrl: string;
  /** Requests of `method` the class's path got. */
  requests(name: HostileClass, method: 'HEAD' | 'GET'): number;
  /** Bytes written on the closed connections that carried one of the class's hostile answers. */
  bytesSent(name: HostileClass): number;
  /** Connections open now. */
  readonly openConnections: number;
  close(): Promise<void>;
}

interface ParsedRequest {
  method: string;
  path: string;
  range: { start: number; end: number } | null;
}

/**
 * A raw `node:net` server whose behaviour is chosen by request path: one server answers every
 * hostile class (see hostile-answers.ts), so one worker and one connection pool meet all of them.
 * Requests that are not the class's hostile one (the HEAD before a hostile part) get normal answers,
 * on keep-alive connections.
 */
export async function startHostileServer(options: HostileServerOptions): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const counts = new Map<string, number>();
  const sent = new Map<HostileClass, number>();
  const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let pending = '';
    const carried = new Set<HostileClass>();
    socket.on('close', () => {
      sockets.delete(socket);
      for (const name of carried) sent.set(name, (sent.get(name) ?? 0) + socket.bytesWritten);
    });
    // A hostile answer that is well-formed HTTP (a redirect, a lying 206) leaves the connection fit
    // for the client's next request, which is answered as any other.
    socket.on('data', (data) => {
      pending += data.toString('latin1');
      if (pending.length > MAX_REQUEST_HEAD) return void socket.destroy();
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const request = parseRequest(pending.slice(0, end));
        pending = pending.slice(end + 4);
        const hostile = answer(socket, request);
        if (hostile) carried.add(hostile);
      }
    });
  });

  /** Answers one request; the hostile class it got, if it was one. */
  function answer(socket: Socket, request: ParsedRequest): HostileClass | null {
    count(`${request.path} ${request.method}`);
    if (request.path === '/file') {
      serveFile(socket, request, options.file);
      return null;
    }
    const name = /^\/hostile\/([a-z0-9-]+)$/.exec(request.path)?.[1] as HostileClass | undefined;
    const hostile: HostileAnswer | undefined = name ? HOSTILE_ANSWERS[name] : undefined;
    if (!name || !hostile) {
      socket.write('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return null;
    }
    if (request.method === 'HEAD' && hostile.on === 'get') {
      // The request before the hostile one (HEAD before a part): answered right. Every other
      // request on the path gets the hostile answer.
      socket.write(hostile.streamed ? WHOLE_METADATA_HEAD : METADATA_HEAD);
      return null;
    }
    const start = request.range?.start ?? 0;
    const end = request.range?.end ?? HOSTILE_SIZE - 1;
    hostile.answer(reply(socket, start, end));
    return name;
  }

  function reply(socket: Socket, start: number, end: number): HostileReply {
    const later = (ms: number, fn: () => void) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, ms);
      timers.add(timer);
      socket.once('close', () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
    };
    return {
      socket,
      start,
      end,
      body: Buffer.alloc(end - start + 1, 1),
      write: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      flood: (prefix, next) => {
        socket.write(prefix);
        const pump = () => {
          while (!socket.destroyed && socket.bytesWritten < FLOOD_CAP_BYTES) {
            if (!socket.write(next())) return;
          }
        };
        socket.on('drain', pump);
        pump();
      },
      trickle: (bytes) => {
        const all = Buffer.from(bytes);
        const step = (at: number) => {
          if (socket.destroyed || at >= all.length) return;
          socket.write(all.subarray(at, at + 1));
          later(options.trickleMs, () => step(at + 1));
        };
        step(0);
      },
      reset: () => socket.resetAndDestroy(),
    };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    urlOf: (name) => `${url}/hostile/${name}`,
    fileUrl: `${url}/file`,
    requests: (name, method) => counts.get(`/hostile/${name} ${method}`) ?? 0,
    bytesSent: (name) => sent.get(name) ?? 0,
    get openConnections() {
      return sockets.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function parseRequest(head: string): ParsedRequest {
  const [requestLine = '', ...lines] = head.split('\r\n');
  const [method = '', path = ''] = requestLine.split(' ');
  const rangeLine = lines.find((line) => /^range:/i.test(line));
  const match = rangeLine ? /bytes=(\d+)-(\d+)/.exec(rangeLine) : null;
  const range = match?.[1] && match[2] ? { start: Number(match[1]), end: Number(match[2]) } : null;
  return { method, path, range };
}

/** HEAD and ranged GETs done right, with a strong ETag, on a keep-alive connection. */
function serveFile(socket: Socket, request: ParsedRequest, file: Buffer): void {
  const common = `ETag: "healthy-v1"\r\nAccept-Ranges: bytes\r\n`;
  if (request.method === 'HEAD') {
    socket.write(`HTTP/1.1 200 OK\r\n${common}Content-Length: ${file.length}\r\n\r\n`);
    return;
  }
  const { start, end } = request.range ?? { start: 0, end: file.length - 1 };
  const body = file.subarray(start, Math.min(end, file.length - 1) + 1);
  const status = request.range ? '206 Partial Content' : '200 OK';
  const range = request.range
    ? `Content-Range: bytes ${start}-${start + body.length - 1}/${file.length}\r\n`
    : '';
  socket.write(`HTTP/1.1 ${status}\r\n${common}${range}Content-Length: ${body.length}\r\n\r\n`);
  socket.write(body);
}
