import type { Socket } from 'node:net';

/** The object every hostile path pretends to serve: small, so each answer goes out in one write. */
export const HOSTILE_SIZE = 4096;
export const HOSTILE_ETAG = '"hostile-v1"';

/** What one hostile answer may do on the connection of the request it answers. */
export interface HostileReply {
  readonly socket: Socket;
  /** The asked range (the ranged GET's), else the whole object. */
  readonly start: number;
  readonly end: number;
  /** The body the range stands for (filler bytes). */
  readonly body: Buffer;
  write(bytes: string | Buffer): void;
  /** Writes `prefix`, then `next()` for as long as the client keeps reading (bounded by the server). */
  flood(prefix: string, next: () => string | Buffer): void;
  /** Writes `bytes` one byte every `trickleMs` of the server's configuration. */
  trickle(bytes: string | Buffer): void;
  /** Sends a TCP RST. */
  reset(): void;
}

export interface HostileAnswer {
  /** Which request of an import gets the hostile answer: HEAD (metadata) or the GET (a part, or the whole). */
  on: 'head' | 'get';
  /**
   * The HEAD before it advertises no byte ranges, so the import takes the streaming fallback and the
   * GET is the whole object's, read through undici rather than the pooled client.
   */
  streamed?: true;
  answer(reply: HostileReply): void;
}

/** A normal answer to HEAD: the size, a strong ETag and byte ranges. */
export const METADATA_HEAD = `HTTP/1.1 200 OK\r\nContent-Length: ${HOSTILE_SIZE}\r\nAccept-Ranges: bytes\r\nETag: ${HOSTILE_ETAG}\r\n\r\n`;
/** The same without byte ranges: the streaming fallback's HEAD. */
export const WHOLE_METADATA_HEAD = `HTTP/1.1 200 OK\r\nContent-Length: ${HOSTILE_SIZE}\r\nETag: ${HOSTILE_ETAG}\r\n\r\n`;

const contentRange = (r: HostileReply) => `Content-Range: bytes ${r.start}-${r.end}/${HOSTILE_SIZE}\r\n`;
/** A 206 head for the asked range, with `extra` header lines; Content-Length unless `extra` frames it. */
const partial = (r: HostileReply, extra = '', length: number | null = r.body.length) =>
  `HTTP/1.1 206 Partial Content\r\nETag: ${HOSTILE_ETAG}\r\n${contentRange(r)}${length === null ? '' : `Content-Length: ${length}\r\n`}${extra}\r\n`;
const chunk = (bytes: Buffer) =>
  Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);
const withBody = (head: string, body: Buffer) => Buffer.concat([Buffer.from(head), body]);
/** A 200 head for the whole object, with `extra` header lines; Content-Length unless `extra` frames it. */
const whole = (extra = '', length: number | null = HOSTILE_SIZE) =>
  `HTTP/1.1 200 OK\r\nETag: ${HOSTILE_ETAG}\r\n${length === null ? '' : `Content-Length: ${length}\r\n`}${extra}\r\n`;
const streamed = (answer: HostileAnswer['answer']): HostileAnswer => ({ on: 'get', streamed: true, answer });
const redirect = (location: string): HostileAnswer => ({
  on: 'head',
  answer: (r) => r.write(`HTTP/1.1 302 Found\r\nLocation: ${location}\r\nContent-Length: 0\r\n\r\n`),
});

let flooded = 0;
/** 256 header lines of distinct names, about 16 KiB: floods are written in blocks, not line by line. */
const uniqueLines = (prefix: string) =>
  Buffer.from(Array.from({ length: 256 }, () => `${prefix}-${flooded++}: ${'x'.repeat(48)}\r\n`).join(''));
const FILLER = Buffer.alloc(16 * 1024, 'a');
const FILLER_CHUNK = chunk(FILLER);
const INTERIM_BLOCK = Buffer.from(
  'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n'.repeat(
    160,
  ),
);

/**
 * Every class of malformed or abusive answer the suite feeds the HTTP source, by path name. Each is
 * one way a server on the internet can be broken or hostile; the tests say how each must end.
 */
export const HOSTILE_ANSWERS = {
  // Status lines.
  'status-garbled': { on: 'head', answer: (r) => r.write('HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n') },
  'status-not-http': { on: 'head', answer: (r) => r.write('SSH-2.0-OpenSSH_9.6\r\n') },
  'status-out-of-range': {
    on: 'head',
    answer: (r) => r.write('HTTP/1.1 999 Whatever\r\nContent-Length: 0\r\n\r\n'),
  },
  'status-http2-preface': { on: 'head', answer: (r) => r.write('HTTP/2 200\r\n\r\n') },
  'head-bare-lf': {
    on: 'head',
    answer: (r) => r.write(`HTTP/1.1 200 OK\nContent-Length: ${HOSTILE_SIZE}\n\n`),
  },
  // Header sections.
  'header-flood-count': {
    on: 'head',
    answer: (r) => r.flood('HTTP/1.1 200 OK\r\n', () => uniqueLines('X-Flood')),
  },
  'header-flood-single': {
    on: 'head',
    answer: (r) => r.flood('HTTP/1.1 200 OK\r\nX-Huge: ', () => FILLER),
  },
  'headers-never-end': {
    on: 'head',
    answer: (r) => r.trickle(`HTTP/1.1 200 OK\r\n${'X-Slow: y\r\n'.repeat(1000)}`),
  },
  'header-control-char': {
    on: 'head',
    answer: (r) => r.write('HTTP/1.1 200 OK\r\nX-Bad: a\0b\r\nContent-Length: 0\r\n\r\n'),
  },
  'header-obs-fold': {
    on: 'head',
    answer: (r) => r.write('HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n'),
  },
  // Interim answers.
  'interim-flood': {
    on: 'head',
    answer: (r) => r.flood('', () => INTERIM_BLOCK),
  },
  'switching-protocols': {
    on: 'head',
    answer: (r) => r.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n${METADATA_HEAD}`),
  },
  // Body framing.
  'length-and-chunked': {
    on: 'get',
    answer: (r) =>
      r.write(
        withBody(
          partial(r, 'Transfer-Encoding: chunked\r\n'),
          Buffer.concat([chunk(r.body), Buffer.from('0\r\n\r\n')]),
        ),
      ),
  },
  'length-conflict': {
    on: 'get',
    answer: (r) => r.write(withBody(partial(r, `Content-Length: ${r.body.length + 1}\r\n`), r.body)),
  },
  'length-overflow': {
    on: 'get',
    answer: (r) => r.write(withBody(partial(r, 'Content-Length: 99999999999999999999\r\n', null), r.body)),
  },
  'length-negative': {
    on: 'get',
    answer: (r) => r.write(withBody(partial(r, 'Content-Length: -1\r\n', null), r.body)),
  },
  'coding-unsupported': {
    on: 'get',
    answer: (r) => r.write(withBody(partial(r, 'Transfer-Encoding: gzip, chunked\r\n', null), chunk(r.body))),
  },
  'chunk-size-negative': {
    on: 'get',
    answer: (r) => r.write(`${partial(r, 'Transfer-Encoding: chunked\r\n', null)}-5\r\nhello\r\n0\r\n\r\n`),
  },
  'chunk-size-garbage': {
    on: 'get',
    answer: (r) => r.write(`${partial(r, 'Transfer-Encoding: chunked\r\n', null)}0x10\r\nhello\r\n0\r\n\r\n`),
  },
  'chunk-size-overflow': {
    on: 'get',
    answer: (r) =>
      r.write(`${partial(r, 'Transfer-Encoding: chunked\r\n', null)}fffffffffffffffff\r\nhello\r\n`),
  },
  'chunk-data-overrun': {
    on: 'get',
    answer: (r) =>
      r.write(`${partial(r, 'Transfer-Encoding: chunked\r\n', null)}5\r\nhello, world\r\n0\r\n\r\n`),
  },
  'chunk-extension-flood': {
    on: 'get',
    answer: (r) => r.flood(`${partial(r, 'Transfer-Encoding: chunked\r\n', null)}5;`, () => FILLER),
  },
  'chunk-final-missing': {
    on: 'get',
    answer: (r) => {
      r.write(withBody(partial(r, 'Transfer-Encoding: chunked\r\n', null), chunk(r.body)));
      r.socket.end();
    },
  },
  'trailer-flood': {
    on: 'get',
    answer: (r) =>
      r.flood(
        `${partial(r, 'Transfer-Encoding: chunked\r\n', null)}${chunk(r.body).toString('latin1')}0\r\n`,
        () => uniqueLines('X-Trailer'),
      ),
  },
  // Bodies against their announced length.
  'body-longer-than-length': {
    on: 'get',
    answer: (r) => r.write(withBody(partial(r), Buffer.concat([r.body, r.body]))),
  },
  'body-shorter-then-close': {
    on: 'get',
    answer: (r) => {
      r.write(withBody(partial(r), r.body.subarray(0, r.body.length / 2)));
      r.socket.end();
    },
  },
  'body-endless-chunked': {
    on: 'get',
    answer: (r) => r.flood(partial(r, 'Transfer-Encoding: chunked\r\n', null), () => FILLER_CHUNK),
  },
  'body-endless-close-delimited': {
    on: 'get',
    answer: (r) => r.flood(partial(r, 'Connection: close\r\n', null), () => FILLER),
  },
  // Content-Range against the range asked for.
  'range-other-bytes': {
    on: 'get',
    answer: (r) =>
      r.write(
        withBody(
          `HTTP/1.1 206 Partial Content\r\nETag: ${HOSTILE_ETAG}\r\nContent-Range: bytes ${r.start + 1}-${r.end}/${HOSTILE_SIZE}\r\nContent-Length: ${r.body.length - 1}\r\n\r\n`,
          r.body.subarray(1),
        ),
      ),
  },
  'range-wrong-total': {
    on: 'get',
    answer: (r) =>
      r.write(
        withBody(
          `HTTP/1.1 206 Partial Content\r\nETag: ${HOSTILE_ETAG}\r\nContent-Range: bytes ${r.start}-${r.end}/${2 * HOSTILE_SIZE}\r\nContent-Length: ${r.body.length}\r\n\r\n`,
          r.body,
        ),
      ),
  },
  'range-missing': {
    on: 'get',
    answer: (r) =>
      r.write(
        withBody(
          `HTTP/1.1 206 Partial Content\r\nETag: ${HOSTILE_ETAG}\r\nContent-Length: ${r.body.length}\r\n\r\n`,
          r.body,
        ),
      ),
  },
  'range-duplicate': {
    on: 'get',
    answer: (r) => r.write(withBody(partial(r, `Content-Range: bytes 0-0/${HOSTILE_SIZE}\r\n`), r.body)),
  },
  'range-ignored': {
    on: 'get',
    answer: (r) =>
      r.write(
        withBody(
          `HTTP/1.1 200 OK\r\nETag: ${HOSTILE_ETAG}\r\nContent-Length: ${HOSTILE_SIZE}\r\n\r\n`,
          Buffer.alloc(HOSTILE_SIZE),
        ),
      ),
  },
  'compressed-body': {
    on: 'get',
    answer: (r) => r.write(withBody(partial(r, 'Content-Encoding: gzip\r\n'), r.body)),
  },
  // Stalls and trickles.
  'stall-before-head': { on: 'head', answer: () => {} },
  'stall-mid-head': { on: 'head', answer: (r) => r.write('HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n') },
  'stall-mid-body': { on: 'get', answer: (r) => r.write(withBody(partial(r), r.body.subarray(0, 100))) },
  'trickle-head': { on: 'head', answer: (r) => r.trickle(METADATA_HEAD) },
  'trickle-body': {
    on: 'get',
    answer: (r) => {
      r.write(partial(r));
      r.trickle(r.body);
    },
  },
  // Connections reset or closed at each phase.
  'reset-before-status': { on: 'head', answer: (r) => r.reset() },
  'reset-mid-head': {
    on: 'head',
    answer: (r) => {
      r.write('HTTP/1.1 200 OK\r\nContent-Le');
      r.reset();
    },
  },
  'reset-mid-body': {
    on: 'get',
    answer: (r) => {
      r.write(withBody(partial(r), r.body.subarray(0, 100)));
      r.reset();
    },
  },
  'close-before-status': { on: 'head', answer: (r) => r.socket.end() },
  // Redirects.
  'redirect-ftp': redirect('ftp://files.example.com/object.bin'),
  'redirect-file': redirect('file:///etc/passwd'),
  'redirect-metadata': redirect('http://169.254.169.254/latest/meta-data/iam/security-credentials/'),
  'redirect-metadata-mapped': redirect('http://[::ffff:169.254.169.254]/latest/meta-data/'),
  'redirect-metadata-hex': redirect('http://0xA9FEA9FE/latest/meta-data/'),
  'redirect-loop': redirect('/hostile/redirect-loop'),
  'redirect-malformed': redirect('http://[::1'),
  // The streaming fallback's whole-object GET (undici).
  'stream-status-garbled': streamed((r) => r.write('HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n')),
  'stream-header-flood': streamed((r) => r.flood('HTTP/1.1 200 OK\r\n', () => uniqueLines('X-Flood'))),
  'stream-length-and-chunked': streamed((r) =>
    r.write(
      withBody(
        whole('Transfer-Encoding: chunked\r\n'),
        Buffer.concat([chunk(r.body), Buffer.from('0\r\n\r\n')]),
      ),
    ),
  ),
  'stream-compressed': streamed((r) => r.write(withBody(whole('Content-Encoding: gzip\r\n'), r.body))),
  'stream-shorter-then-close': streamed((r) => {
    r.write(withBody(whole(), r.body.subarray(0, r.body.length / 2)));
    r.socket.end();
  }),
  'stream-reset-mid-body': streamed((r) => {
    r.write(withBody(whole(), r.body.subarray(0, 100)));
    r.reset();
  }),
  'stream-stall-mid-body': streamed((r) => r.write(withBody(whole(), r.body.subarray(0, 100)))),
  'stream-trickle-body': streamed((r) => {
    r.write(whole());
    r.trickle(r.body);
  }),
  'stream-endless-chunked': streamed((r) =>
    r.flood(whole('Transfer-Encoding: chunked\r\n', null), () => FILLER_CHUNK),
  ),
} satisfies Record<string, HostileAnswer>;

export type HostileClass = keyof typeof HOSTILE_ANSWERS;
export const HOSTILE_CLASSES = Object.keys(HOSTILE_ANSWERS) as HostileClass[];
