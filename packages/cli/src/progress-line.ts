/** A log gets a progress line at most this often; a terminal gets every one, redrawn in place. */
const LOG_EVERY_MS = 3000;

/** Writes the progress line of something the CLI watches: `ferry import --wait`, a job's bar. */
export class ProgressLine {
  readonly #out: NodeJS.WriteStream;
  #lastPrinted = 0;

  constructor(out: NodeJS.WriteStream) {
    this.#out = out;
  }

  /** The last line (`final`) is always written, and ends the redrawn line on a terminal. */
  write(line: string, final: boolean): void {
    if (this.#out.isTTY) {
      this.#out.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    } else if (final || Date.now() - this.#lastPrinted > LOG_EVERY_MS) {
      this.#out.write(`${line}\n`);
      this.#lastPrinted = Date.now();
    }
  }
}
