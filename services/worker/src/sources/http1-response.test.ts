import { describe, expect, it } from 'vitest';
import {
  BodyDecoder,
  type BodyFraming,
  bodyFraming,
  ConnectionLostError,
  HttpProtocolError,
  keepsAlive,
  MAX_HEAD_BYTES,
  MAX_TRAILER_BYTES,
  parseResponseHead,
} from './http1-response.ts';

const head = (text: string) => Buffer.from(text, 'latin1');

/** Feeds `raw` to a decoder in pieces of `step` bytes; returns the payload and the bytes it took. */
function decode(framing: BodyFraming, raw: Buffer, step = raw.length) {
  const decoder = new BodyDecoder(framing);
  const payload: Buffer[] = [];
  let used = 0;
  for (let at = 0; at < raw.length && !decoder.done; at += step) {
    used += decoder.feed(raw.subarray(at, Math.min(raw.length, at + step)), (piece) => payload.push(piece));
  }
  return { decoder, payload: Buffer.concat(payload).toString('latin1'), used };
}

describe('parseResponseHead', () => {
  it('parses the status line and headers, lower-casing names and keeping repeats', () => {
    const raw = head(
      'HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-9/100\r\nX-A: 1\r\nx-a:  2 \r\n\r\nbody',
    );
    expect(parseResponseHead(raw)).toEqual({
      statusCode: 206,
      minorVersion: 1,
      headers: { 'content-range': 'bytes 0-9/100', 'x-a': ['1', '2'] },
      length: raw.length - 'body'.length,
    });
  });

  it('waits for the blank line, and refuses heads that never end', () => {
    expect(parseResponseHead(head('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n'))).toBeNull();
    expect(() => parseResponseHead(Buffer.alloc(MAX_HEAD_BYTES + 1, 'a'))).toThrow(HttpProtocolError);
  });

  it('refuses a status line that is not HTTP/1.x as soon as it is whole, before the head ends', () => {
    for (const early of ['SSH-2.0-OpenSSH_9.6\r\n', 'ICY', 'HTTP/1.1 2x0 OK\r\nA: 1\r\n']) {
      expect(() => parseResponseHead(head(early)), early).toThrow(/malformed status line/);
    }
    expect(parseResponseHead(head('HTTP/1.'))).toBeNull();
  });

  it('refuses bare LF line endings and statuses past 599', () => {
    expect(() => parseResponseHead(head('HTTP/1.1 200 OK\nContent-Length: 1\n'))).toThrow(/bare LF/);
    expect(() => parseResponseHead(head('HTTP/1.1 999 X\r\n\r\n'))).toThrow(/does not exist/);
  });

  it('refuses malformed status lines, folded or nameless headers and control characters', () => {
    for (const bad of [
      'HTTP/2 200 OK\r\n\r\n',
      'HTTP/1.1 20 OK\r\n\r\n',
      'ICY 200 OK\r\n\r\n',
      'HTTP/1.1 200 OK\r\nA: 1\r\n folded\r\n\r\n',
      'HTTP/1.1 200 OK\r\n: x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nA b: x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nA: x\0y\r\n\r\n',
    ]) {
      expect(() => parseResponseHead(head(bad)), bad).toThrow(HttpProtocolError);
    }
  });
});

describe('bodyFraming and keepsAlive', () => {
  const parse = (text: string) => parseResponseHead(head(`${text}\r\n\r\n`)) ?? expect.fail('no head');

  it('delimits by Content-Length, chunked, or the connection closing', () => {
    expect(bodyFraming(parse('HTTP/1.1 206 X\r\nContent-Length: 10'))).toEqual({
      kind: 'length',
      length: 10,
    });
    expect(bodyFraming(parse('HTTP/1.1 206 X\r\nContent-Length: 10, 10'))).toEqual({
      kind: 'length',
      length: 10,
    });
    expect(bodyFraming(parse('HTTP/1.1 206 X\r\nTransfer-Encoding: chunked'))).toEqual({ kind: 'chunked' });
    expect(bodyFraming(parse('HTTP/1.1 200 X'))).toEqual({ kind: 'close' });
    expect(bodyFraming(parse('HTTP/1.1 304 X\r\nContent-Length: 10'))).toEqual({ kind: 'length', length: 0 });
  });

  it('refuses conflicting or unusable framing', () => {
    for (const bad of [
      'HTTP/1.1 206 X\r\nContent-Length: 10\r\nContent-Length: 11',
      'HTTP/1.1 206 X\r\nContent-Length: -1',
      'HTTP/1.1 206 X\r\nContent-Length: 1e3',
      'HTTP/1.1 206 X\r\nTransfer-Encoding: chunked\r\nContent-Length: 10',
      'HTTP/1.1 206 X\r\nTransfer-Encoding: gzip, chunked',
      'HTTP/1.0 206 X\r\nTransfer-Encoding: chunked',
    ]) {
      expect(() => bodyFraming(parse(bad)), bad).toThrow(HttpProtocolError);
    }
  });

  it('keeps HTTP/1.1 connections unless told to close; HTTP/1.0 only on keep-alive', () => {
    const length = { kind: 'length', length: 1 } as const;
    expect(keepsAlive(parse('HTTP/1.1 206 X'), length)).toBe(true);
    expect(keepsAlive(parse('HTTP/1.1 206 X\r\nConnection: Close'), length)).toBe(false);
    expect(keepsAlive(parse('HTTP/1.0 206 X'), length)).toBe(false);
    expect(keepsAlive(parse('HTTP/1.0 206 X\r\nConnection: keep-alive'), length)).toBe(true);
    expect(keepsAlive(parse('HTTP/1.1 206 X'), { kind: 'close' })).toBe(false);
  });
});

describe('BodyDecoder', () => {
  it('yields exactly Content-Length bytes and reports what lies beyond', () => {
    const { decoder, payload, used } = decode({ kind: 'length', length: 5 }, head('hello, extra'));
    expect(payload).toBe('hello');
    expect(used).toBe(5);
    expect(decoder.done).toBe(true);
  });

  it('yields payload pieces that are views of the bytes given, not copies', () => {
    const raw = head('abcdef');
    const decoder = new BodyDecoder({ kind: 'length', length: 6 });
    decoder.feed(raw, (piece) => expect(piece.buffer).toBe(raw.buffer));
  });

  it('decodes chunked bodies fed a byte at a time, with extensions and trailers', () => {
    const raw = head('5;name=v\r\nhello\r\n1\r\n,\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT');
    for (const step of [1, 3, raw.length]) {
      const { decoder, payload, used } = decode({ kind: 'chunked' }, raw, step);
      expect(payload).toBe('hello, world');
      expect(decoder.done).toBe(true);
      expect(used).toBe(raw.length - 4);
    }
  });

  it('refuses broken chunked framing', () => {
    for (const bad of ['zz\r\nhello\r\n0\r\n\r\n', '2\r\nhello\r\n0\r\n\r\n', '5\nhello\r\n0\r\n\r\n']) {
      expect(() => decode({ kind: 'chunked' }, head(bad)), bad).toThrow(HttpProtocolError);
    }
  });

  it('refuses a trailer section larger than a head may be', () => {
    const line = `X-T: ${'t'.repeat(1000)}\r\n`;
    const flood = head(`0\r\n${line.repeat(Math.ceil(MAX_TRAILER_BYTES / line.length) + 1)}`);
    expect(() => decode({ kind: 'chunked' }, flood, 4096)).toThrow(/trailer section is too large/);
  });

  it('ends a close-delimited body at the connection end, and fails a short one', () => {
    const close = new BodyDecoder({ kind: 'close' });
    close.feed(head('abc'), () => {});
    close.end();
    expect(close.done).toBe(true);
    const short = new BodyDecoder({ kind: 'length', length: 10 });
    short.feed(head('abc'), () => {});
    // Cut off, not malformed: the network's doing, worth another try.
    expect(() => short.end()).toThrow(ConnectionLostError);
  });
});
