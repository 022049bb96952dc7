/** A row longer than this is refused on its own; it is skipped, never buffered whole. */
export const MAX_LINE_BYTES = 64 * 1024;

const NEWLINE = 0x0a;

export interface ManifestLine {
  /** The line without its end (`\n` or `\r\n`); null when it was longer than MAX_LINE_BYTES. */
  text: string | null;
  /** The byte just after the line's end in the manifest: where reading goes on from. */
  endOffset: number;
}

/**
 * Cuts a manifest's bytes into lines, keeping each line's end offset so expansion can stop after
 * any line and later read on from there. Holds at most one line (up to MAX_LINE_BYTES) at a time.
 */
export class LineSplitter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #tooLong = false;
  #offset: number;

  /** `startOffset`: the manifest offset of the first byte pushed. */
  constructor(startOffset: number) {
    this.#offset = startOffset;
  }

  push(chunk: Buffer): ManifestLine[] {
    const lines: ManifestLine[] = [];
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end === -1) break;
      this.#hold(chunk.subarray(start, end));
      this.#offset += end + 1 - start;
      lines.push(this.#take());
      start = end + 1;
    }
    this.#hold(chunk.subarray(start));
    this.#offset += chunk.length - start;
    return lines;
  }

  /** The last line, when the manifest does not end with a newline. */
  end(): ManifestLine[] {
    return this.#pendingBytes > 0 || this.#tooLong ? [this.#take()] : [];
  }

  #hold(bytes: Buffer): void {
    if (bytes.length === 0 || this.#tooLong) return;
    if (this.#pendingBytes + bytes.length > MAX_LINE_BYTES) {
      this.#tooLong = true;
      this.#pending = [];
      this.#pendingBytes = 0;
      return;
    }
    // Copied: the chunk's buffer may be reused by the stream that produced it.
    this.#pending.push(Buffer.from(bytes));
    this.#pendingBytes += bytes.length;
  }

  #take(): ManifestLine {
    const text = this.#tooLong ? null : Buffer.concat(this.#pending).toString('utf8').replace(/\r$/, '');
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#tooLong = false;
    return { text, endOffset: this.#offset };
  }
}

/** The lines of a byte stream that starts at manifest offset `startOffset`. */
export async function* manifestLines(
  chunks: AsyncIterable<Buffer>,
  startOffset: number,
): AsyncGenerator<ManifestLine> {
  const splitter = new LineSplitter(startOffset);
  for await (const chunk of chunks) yield* splitter.push(chunk);
  yield* splitter.end();
}
