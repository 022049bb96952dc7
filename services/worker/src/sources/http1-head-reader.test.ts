import { describe, expect, it } from 'vitest';
import { HeadReader, MAX_INTERIM_RESPONSES } from './http1-head-reader.ts';

const bytes = (text: string) => Buffer.from(text, 'latin1');

describe('HeadReader', () => {
  it('collects a head sent a byte at a time, into memory of its own', () => {
    const reader = new HeadReader();
    const raw = 'HTTP/1.1 206 X\r\nContent-Length: 3\r\n\r\nabc';
    // One reusable buffer for every read, as the socket's blocks are reused: the reader must copy.
    const block = Buffer.alloc(1);
    let found = null;
    for (const char of raw) {
      block.write(char, 'latin1');
      found = reader.push(block);
      if (found) break;
    }
    expect(found?.head).toMatchObject({ statusCode: 206, headers: { 'content-length': '3' } });
    expect(found?.rest).toBe(0);
  });

  it('skips interim answers, keeping what follows them, and says where the body starts', () => {
    const reader = new HeadReader();
    expect(reader.push(bytes('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 2'))).toBeNull();
    const found = reader.push(bytes('06 X\r\nContent-Length: 2\r\n\r\nhi'));
    expect(found?.head.statusCode).toBe(206);
    expect(found?.rest).toBe(2);
  });

  it('refuses a flood of interim answers and a 101 nobody asked for', () => {
    const flood = 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(MAX_INTERIM_RESPONSES + 1);
    expect(() => new HeadReader().push(bytes(flood))).toThrow(/interim/);
    expect(() => new HeadReader().push(bytes('HTTP/1.1 101 Switching Protocols\r\n\r\n'))).toThrow(/101/);
  });
});
