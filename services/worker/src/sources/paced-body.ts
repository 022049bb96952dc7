import { pipeline, type Readable, Transform } from 'node:stream';
import { BodyPace } from './body-pace.ts';

/**
 * A whole-object body (the streaming fallback's, read through undici) held to the same floor as the
 * pooled client's part reads: undici's bodyTimeout is an idle timeout, which a source trickling a
 * byte now and then never trips. Time the reader spends with the body paused (the upload side
 * backed up) starts a new window, as it does for parts. A floor of 0 leaves the body as it is.
 */
export function pacedBody(body: Readable, minBytesPerSecond: number, windowMs: number): Readable {
  if (minBytesPerSecond <= 0) return body;
  const pace = new BodyPace(minBytesPerSecond, windowMs);
  const checked = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        pace.count(chunk.length);
        callback(null, chunk);
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  checked.on('resume', () => pace.restart());
  // Either side failing or destroyed takes the other with it, as one body would.
  pipeline(body, checked, () => {});
  return checked;
}
