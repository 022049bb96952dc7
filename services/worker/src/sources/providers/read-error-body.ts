import type { PartStream } from '../../bytes/part-stream.ts';

/** Error answers are a little JSON; more than this is cut off (and released unread). */
const MAX_ERROR_BODY = 64 * 1024;

/** An error answer's body, copied out of the part's budget buffers so they go back at once. */
export function readErrorBody(stream: PartStream): Promise<string> {
  return new Promise((resolve) => {
    const pieces: Buffer[] = [];
    let size = 0;
    const text = (): string => Buffer.concat(pieces).toString('utf8');
    stream.start({
      piece: (chunk, release) => {
        if (size < MAX_ERROR_BODY) pieces.push(Buffer.from(chunk.subarray(0, MAX_ERROR_BODY - size)));
        size += chunk.length;
        release();
      },
      end: () => resolve(text()),
      // A body cut off is still worth what arrived: the status alone decides most cases.
      error: () => resolve(text()),
    });
  });
}
