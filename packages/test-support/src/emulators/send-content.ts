import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DownloadFaults } from './download-faults.ts';
import { contentChunks, type EmulatorContent } from './emulator-content.ts';
import type { Exchange } from './exchange.ts';

const CHUNK = 512 * 1024;
const MAX_THROTTLED_CHUNK = 64 * 1024;

export interface ContentAnswer {
  status: number;
  headers: OutgoingHttpHeaders;
  content: EmulatorContent;
  /** First and last byte (inclusive) of the content to send. */
  start: number;
  end: number;
  /** Send Content-Length (default); false streams chunked, as for generated content. */
  announceLength?: boolean;
}

/**
 * Streams bytes start..end of a file as the body of the answer, with backpressure, applying the
 * faults in force when it starts: a throttle (paced on real time, since it paces a real socket), a
 * cut after N bytes (the socket is destroyed once those bytes are flushed, so the client sees a
 * short body rather than no answer) and one inverted byte (the stored content is left untouched).
 */
export async function sendContent(
  exchange: Exchange,
  faults: DownloadFaults,
  answer: ContentAnswer,
): Promise<void> {
  const { res } = exchange;
  const length = answer.end - answer.start + 1;
  const plan = faults.planFor(length);
  res.writeHead(answer.status, {
    ...(answer.announceLength === false ? {} : { 'content-length': length }),
    ...answer.headers,
  });
  if (plan.resetAfterBytes === 0) {
    res.flushHeaders();
    await new Promise((resolve) => setImmediate(resolve));
    res.destroy();
    return;
  }
  const closed = new AbortController();
  res.once('close', () => closed.abort());
  const chunkSize =
    plan.bytesPerSecond === null
      ? CHUNK
      : Math.max(1, Math.min(MAX_THROTTLED_CHUNK, Math.floor(plan.bytesPerSecond / 20)));
  const startedAt = performance.now();
  try {
    for await (const read of contentChunks(answer.content, answer.start, answer.end, chunkSize)) {
      if (res.destroyed) return;
      const chunk = withByteInverted(read, plan.corruptAtByte, exchange.bytesSent);
      if (plan.bytesPerSecond !== null) {
        const due = startedAt + (exchange.bytesSent / plan.bytesPerSecond) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait, undefined, { signal: closed.signal });
      }
      if (plan.resetAfterBytes !== null && exchange.bytesSent + chunk.length >= plan.resetAfterBytes) {
        const piece = chunk.subarray(0, plan.resetAfterBytes - exchange.bytesSent);
        exchange.bytesSent += piece.length;
        await flushed(res, piece);
        res.destroy();
        return;
      }
      exchange.bytesSent += chunk.length;
      if (!res.write(chunk)) await drainedOrClosed(res);
    }
    res.end();
  } catch (error) {
    // The client went away mid-body: nothing left to answer.
    if (closed.signal.aborted) return;
    throw error;
  }
}

/** `chunk`, which begins at body offset `offset`, with the byte at `at` inverted in a copy when it holds it. */
function withByteInverted(chunk: Buffer, at: number | null, offset: number): Buffer {
  if (at === null || at < offset || at >= offset + chunk.length) return chunk;
  const copy = Buffer.from(chunk);
  copy[at - offset] = (copy[at - offset] ?? 0) ^ 0xff;
  return copy;
}

function flushed(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    res.once('close', resolve);
    res.write(chunk, () => resolve());
  });
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
