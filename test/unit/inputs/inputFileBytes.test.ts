import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readdirSync, readlinkSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CancellationError } from '../../../src/core/errors';
import {
  decodeInputFile,
  InputFileReadError,
  invalidUtf8Position,
  readInputFileText,
} from '../../../src/core/inputs/inputFileBytes';

/** How many descriptors of this process point at `file`. */
function openCount(file: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(check());
}

describe('inputs: reading input file bytes', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'desktop-flows-bytes-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('decodes UTF-8 (with or without BOM) and UTF-16 with BOM without changing a character', () => {
    const text = '{ "a": "Grüße 😀" }';
    assert.equal(decodeInputFile(Buffer.from(text), 'f'), text);
    assert.equal(
      decodeInputFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'f'),
      text,
    );
    assert.equal(
      decodeInputFile(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), 'f'),
      text,
    );
  });

  it('refuses overlong encodings, surrogates and truncated sequences with the byte position', () => {
    for (const [bytes, at] of [
      [[0x7b, 0xc0, 0xaf], 1],
      [[0x7b, 0x20, 0xed, 0xa0, 0x80], 2],
      [[0x7b, 0x0a, 0x20, 0xe2, 0x82], 3],
    ] as const) {
      assert.throws(
        () => decodeInputFile(Buffer.from(bytes), 'f'),
        (e: unknown) => InputFileReadError.is(e, 'invalidUtf8') && e.message.includes(`byte ${at} `),
      );
    }
    assert.throws(
      () => decodeInputFile(Buffer.from([0x7b, 0x0a, 0x20, 0xff]), 'f'),
      /byte 3 \(line 2, column 2\) is 0xFF/,
    );
    // UTF-16 with a BOM but an unpaired surrogate: refused, not replaced.
    assert.throws(
      () => decodeInputFile(Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x00, 0xd8, 0x7d, 0x00]), 'f'),
      (e: unknown) => InputFileReadError.is(e, 'invalidUtf16'),
    );
  });

  it('reads what a FIFO writer wrote, and stops waiting when aborted', async () => {
    const fifo = path.join(dir, 'fed.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = openSync(fifo, constants.O_RDWR);
    writeSync(writer, '{ "a": 1 }');
    const reading = readInputFileText(fifo, { signal: new AbortController().signal });
    await until(() => openCount(fifo) >= 2);
    closeSync(writer);
    assert.equal(await reading, '{ "a": 1 }');

    const stalled = openSync(fifo, constants.O_RDWR);
    try {
      const controller = new AbortController();
      const waiting = readInputFileText(fifo, { signal: controller.signal });
      await until(() => openCount(fifo) >= 2);
      controller.abort();
      await assert.rejects(waiting, (e: unknown) => CancellationError.is(e));
    } finally {
      closeSync(stalled);
    }
  });

  it('stops reading a FIFO that goes past the limit', async () => {
    const fifo = path.join(dir, 'flood.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = openSync(fifo, constants.O_RDWR);
    try {
      const reading = readInputFileText(fifo, { signal: new AbortController().signal, maxBytes: 1000 });
      writeSync(writer, Buffer.alloc(4000, 0x20));
      await assert.rejects(reading, (e: unknown) => InputFileReadError.is(e, 'tooLarge'));
    } finally {
      closeSync(writer);
    }
  });
});

describe('inputs: where an invalid UTF-8 byte shows in the editor', () => {
  it('gives the line and character of the replacement character an editor shows for it', () => {
    // Line 2: `  "City": "Z` then "ü" in UTF-8 (2 bytes), "✓" (3 bytes), then a lone Latin-1 0xE9.
    const bytes = Buffer.concat([
      Buffer.from('{\r\n  "City": "Z\u00fc\u2713', 'utf8'),
      Buffer.from([0xe9]),
      Buffer.from('"\n}\n', 'utf8'),
    ]);
    const at = invalidUtf8Position(bytes);
    assert.deepEqual(at, { offset: 3 + 12 + 2 + 3, line: 1, character: 14 });
    const shown = new TextDecoder('utf-8').decode(bytes).split('\n')[1] ?? '';
    assert.equal(shown[at?.character ?? -1], '\uFFFD');
  });

  it('skips a UTF-8 byte-order mark on the first line, and is undefined for valid UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('ab'), Buffer.from([0xff])]);
    assert.deepEqual(invalidUtf8Position(bytes), { offset: 5, line: 0, character: 2 });
    assert.equal(invalidUtf8Position(Buffer.from('{ "City": "Z\u00fcrich \u2713" }', 'utf8')), undefined);
  });
});
