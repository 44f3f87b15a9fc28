// @ts-check
// The two files through which the test runner in the extension host (test/integration/index.ts)
// talks to the harness: a live output file it appends mocha's spec lines to, streamed here to
// the terminal, and a JSON results file written at the end.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/**
 * @typedef {object} TestResults   what test/integration/index.ts writes to DESKTOPFLOWS_TEST_RESULTS
 * @property {number} passed
 * @property {number} failed
 * @property {number} pending
 * @property {number} durationMs
 * @property {string[]} summary   mocha's closing lines ("N passing", failures) and "N passed, N failed"
 * @property {string} [error]     set when mocha could not run the tests at all
 */

/**
 * @param {string} file
 * @returns {TestResults | undefined}
 */
export function readResults(file) {
  if (!existsSync(file)) {
    return undefined;
  }
  try {
    return /** @type {TestResults} */ (JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined; // half-written: the runner died while writing
  }
}

/** Streams what another process appends to a file, by polling every 100 ms. */
export class FileTail {
  /**
   * @param {string} file
   * @param {(text: string) => void} write
   */
  constructor(file, write) {
    this.file = file;
    this.write = write;
    this.offset = 0;
    // A read may end in the middle of a multi-byte character (✔); the decoder keeps the rest.
    this.decoder = new StringDecoder('utf8');
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.timer = undefined;
  }

  start() {
    this.timer ??= setInterval(() => this.drain(), 100);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = undefined;
    this.drain();
  }

  drain() {
    let fd;
    try {
      const size = statSync(this.file).size;
      if (size <= this.offset) {
        return;
      }
      fd = openSync(this.file, 'r');
      const buf = Buffer.alloc(size - this.offset);
      const n = readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      const text = this.decoder.write(buf.subarray(0, n));
      if (text) {
        this.write(text);
      }
    } catch {
      // not created yet
    } finally {
      if (fd !== undefined) {
        closeSync(fd);
      }
    }
  }
}
