import type { PartStream } from '../bytes/part-stream.ts';

/**
 * A part's body that hands its fleet-wide download slot back exactly once: when the last byte has
 * been delivered, when the body fails, or when the reader drops it.
 */
export function releasedPartStream(stream: PartStream, release: () => void): PartStream {
  let released = false;
  const releaseOnce = (): void => {
    if (released) return;
    released = true;
    release();
  };
  return {
    start(handlers) {
      stream.start({
        piece: handlers.piece,
        end: () => {
          releaseOnce();
          handlers.end();
        },
        error: (error) => {
          releaseOnce();
          handlers.error(error);
        },
      });
    },
    pause: () => stream.pause(),
    resume: () => stream.resume(),
    destroy: () => {
      stream.destroy();
      releaseOnce();
    },
  };
}
