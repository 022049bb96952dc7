import type { PartStream } from '../bytes/part-stream.ts';

/** Reads a PartStream to its end, copying each piece and releasing it at once (tests). */
export function readPartStream(stream: PartStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const pieces: Buffer[] = [];
    stream.start({
      piece: (chunk, release) => {
        pieces.push(Buffer.from(chunk));
        release();
      },
      end: () => resolve(Buffer.concat(pieces)),
      error: reject,
    });
  });
}
