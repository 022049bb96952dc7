import { Readable } from 'node:stream';

export interface PartStreamHandlers {
  /**
   * The next piece of the body, in order. `release` says the piece is no longer referenced (its bytes
   * were handed to the kernel, or dropped): until then its memory must not be reused.
   */
  piece(chunk: Buffer, release: () => void): void;
  /** Every byte has been delivered. */
  end(): void;
  /** The body failed; no piece or end follows. */
  error(error: Error): void;
}

/**
 * A part's bytes as they arrive from the source, with explicit ownership and flow control: what the
 * upload side consumes. The HTTP source reads straight into buffers of the worker's memory budget and
 * gets them back through `release`; other sources hand over a Readable, adapted by
 * readablePartStream.
 */
export interface PartStream {
  /** Starts delivery; called once. */
  start(handlers: PartStreamHandlers): void;
  /** No more pieces until resume(); a piece already on its way may still arrive. */
  pause(): void;
  resume(): void;
  /** Stops delivery and drops what is not delivered yet; no handler is called afterwards. */
  destroy(): void;
}

const noop = (): void => {};

/** A Readable as a PartStream: its chunks are its own, so release has nothing to do. */
export function readablePartStream(readable: Readable): PartStream {
  let handlers: PartStreamHandlers | null = null;
  let settled = false;
  const onData = (chunk: Buffer | string): void => {
    handlers?.piece(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, noop);
  };
  const onEnd = (): void => {
    if (settled) return;
    settled = true;
    handlers?.end();
  };
  const onError = (error: Error): void => {
    if (settled) return;
    settled = true;
    handlers?.error(error);
  };
  const onClose = (): void => {
    if (!settled) onError(new Error('source stream closed before its end'));
  };
  // A body dropped unread reports an error; nothing listens for it once the part is settled.
  readable.on('error', onError);
  return {
    start: (next) => {
      handlers = next;
      readable.on('end', onEnd);
      readable.on('close', onClose);
      readable.on('data', onData);
    },
    pause: () => {
      readable.pause();
    },
    resume: () => {
      readable.resume();
    },
    destroy: () => {
      settled = true;
      handlers = null;
      readable.off('data', onData);
      readable.destroy();
    },
  };
}

/** Any body a source hands over, as a PartStream. */
export function toPartStream(body: PartStream | Readable): PartStream {
  return body instanceof Readable ? readablePartStream(body) : body;
}

/** A piece of a part held in memory, and what gives its buffer back. */
export interface HeldPiece {
  chunk: Buffer;
  release: () => void;
}

/**
 * Pieces already in memory as a PartStream: delivered in order, each with its own release; those
 * never delivered are released on destroy. The list is not consumed, so a part kept in memory can
 * be delivered again for another try (with releases that do nothing).
 */
export function heldPartStream(pieces: readonly HeldPiece[]): PartStream {
  let handlers: PartStreamHandlers | null = null;
  let next = 0;
  let paused = false;
  const deliver = (): void => {
    while (handlers && !paused) {
      const piece = pieces[next];
      if (!piece) {
        const done = handlers;
        handlers = null;
        done.end();
        return;
      }
      next++;
      handlers.piece(piece.chunk, piece.release);
    }
  };
  return {
    start: (started) => {
      handlers = started;
      deliver();
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      if (!paused) return;
      paused = false;
      // Not from inside the 'drain' that resumed us: the body's write loop may still be on the stack.
      queueMicrotask(deliver);
    },
    destroy: () => {
      handlers = null;
      for (const piece of pieces.slice(next)) piece.release();
      next = pieces.length;
    },
  };
}
