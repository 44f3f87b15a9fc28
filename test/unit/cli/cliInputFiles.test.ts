/**
 * Input files are sent exactly as written or not at all: what is not UTF-8 JSON text is refused with a
 * message that says what the file is (exit 2, nothing sent), UTF-16 with a byte-order mark is decoded,
 * reads are bounded by size before reading and never hang on a FIFO.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, openSync, readdirSync, readlinkSync } from 'node:fs';
import { truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultSeed, seedEnvironmentNames, seedIds, seedNames } from '../../../src/sandbox/seed';
import { json, cliSuite, type CliResult } from './cliHarness';

const root = path.resolve(__dirname, '../../..');
const flows = seedIds.flows;
const runArgs = ['--connection', seedNames.connections.makerMachine, '--mode', 'attended'];

/** True when process `pid` has `file` open (Linux /proc). */
function holdsOpen(pid: number | undefined, file: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

describe('desktop-flows CLI: input files are read exactly as written', () => {
  const h = cliSuite('desktop-flows-inputs-');

  function assertRefused(r: CliResult, message: RegExp): void {
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(h.runRequests, [], 'the sandbox received no RunDesktopFlow');
    assert.match(r.stderr, message);
  }

  const echo = (text: string): string =>
    JSON.stringify({
      $schema: `desktopflows-schema:/${flows.echoText}.json`,
      inputText: text,
      inputInteger: 1,
    });

  it('refuses a Latin-1 file with the position of the first byte that is not UTF-8', async () => {
    // `{"$schema": …, "inputText": "Caf\xE9", …}`: é in Latin-1 is the single byte 0xE9.
    const text = echo('Café');
    const latin1 = Buffer.from(text, 'latin1');
    const offset = latin1.indexOf(0xe9);
    const p = await h.file('latin1.json', latin1);
    const r = await h.cli(['run', '--inputs', p, ...runArgs]);
    assertRefused(
      r,
      new RegExp(
        `latin1\\.json is not valid UTF-8: byte ${offset} \\(line 1, column ${offset + 1}\\) is 0xE9`,
      ),
    );
    assert.match(r.stderr, /Save it as UTF-8/);
    // Read in its own encoding first: saving what the editor shows would keep U+FFFD.
    assert.match(
      r.stderr,
      /"Reopen with Encoding" → .*"Western \(Windows 1252\)".* then "Save with Encoding" → "UTF-8"/,
    );
  });

  it('decodes UTF-16 with a byte-order mark and sends the text unchanged', async () => {
    const value = 'Grüße – 日本 😀';
    const le = await h.file(
      'utf16le.json',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(echo(value), 'utf16le')]),
    );
    const r = await h.cli(['run', '--inputs', le, ...runArgs, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { runId } = json<{ runId: string }>(r);
    const run = [...h.dev.runs.values()].find((x) => x.row.flowsessionid === runId);
    assert.equal(run?.inputs.inputText, value);

    const swapped = Buffer.from(echo(value), 'utf16le').swap16();
    const be = await h.file('utf16be.json', Buffer.concat([Buffer.from([0xfe, 0xff]), swapped]));
    const rb = await h.cli(['run', '--inputs', be, ...runArgs, '--json']);
    assert.equal(rb.code, 0, rb.stderr);
    const runB = [...h.dev.runs.values()].find(
      (x) => x.row.flowsessionid === json<{ runId: string }>(rb).runId,
    );
    assert.equal(runB?.inputs.inputText, value);
  });

  it('says what is wrong with empty, binary, UTF-16-without-BOM and root-array files', async () => {
    const cases: [string, Buffer | string, RegExp][] = [
      ['empty.json', '', /empty\.json is empty\./],
      ['blank.json', '\uFEFF \n', /blank\.json is empty\./],
      [
        'binary.json',
        Buffer.from([0x7b, 0x00, 0x01, 0x02, 0x89, 0x50, 0x4e, 0x47]),
        /binary\.json is not a text file: byte 1/,
      ],
      [
        'nobom.json',
        Buffer.from(echo('x'), 'utf16le'),
        /nobom\.json looks like UTF-16 text without a byte-order mark/,
      ],
      [
        'list.json',
        '[{ "inputText": "x" }]',
        /list\.json must be a JSON object of input values, but it is a list/,
      ],
      [
        'syntax.json',
        '{ "inputText": ',
        /Name the flow to run: .*syntax\.json is not valid JSON \(line 1, column/,
      ],
    ];
    for (const [name, content, message] of cases) {
      const r = await h.cli(['run', '--inputs', await h.file(name, content), ...runArgs]);
      assertRefused(r, message);
      assert.doesNotMatch(r.stderr, /has no "\$schema"/, name);
    }
  });

  it('refuses an oversized file from its size, without reading it, and refuses devices', async () => {
    // A sparse 8 GB file: reading it would take long and run out of memory.
    const huge = path.join(h.dir, 'huge.json');
    await writeFile(huge, '{');
    await truncate(huge, 8 * 1024 ** 3);
    const r = await h.cli(['run', 'Echo Text', '--inputs', huge, ...runArgs]);
    assertRefused(
      r,
      /huge\.json is 8,589,934,592 bytes \(8192 MB\), over the 4,194,304 bytes \(4 MB\) an input file may hold/,
    );

    const zero = await h.cli(['run', 'Echo Text', '--inputs', '/dev/zero', ...runArgs]);
    assertRefused(zero, /\/dev\/zero is a device, not an input file/);
  });

  it('reads a FIFO with no writer as empty instead of waiting forever', async () => {
    const fifo = path.join(h.dir, 'nobody.fifo');
    execFileSync('mkfifo', [fifo]);
    const r = await h.cli(['run', 'Echo Text', '--inputs', fifo, ...runArgs]);
    assertRefused(r, /nobody\.fifo is empty/);
  });

  it("resolves ${env:NAME} in inputs that are not sensitive (the docs' example); a missing one is an error", async () => {
    const p = await h.file(
      'invoice.json',
      JSON.stringify({
        $schema: `desktopflows-schema:/${flows.invoice}.json`,
        InvoiceId: 'INV-1001',
        Amount: 1250.5,
        ApiKey: '${secret:ERP_API_KEY}',
        Notes: '${env:BUILD_ID}',
      }),
    );
    const env = {
      ...h.env,
      BUILD_ID: 'build-20261203.7',
      DESKTOPFLOWS_SECRET_ERP_API_KEY: 'erp-key-6d1f0e2a',
    };
    const r = await h.cli(['run', '--inputs', p, ...runArgs, '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const run = [...h.dev.runs.values()].find(
      (x) => x.row.flowsessionid === json<{ runId: string }>(r).runId,
    );
    assert.equal(run?.inputs.Notes, 'build-20261203.7');
    assert.equal(run?.inputs.ApiKey, 'erp-key-6d1f0e2a');

    h.reset();
    const missing = await h.cli(['run', '--inputs', p, ...runArgs], {
      env: { ...env, BUILD_ID: undefined },
    });
    assertRefused(missing, /\$\{env:BUILD_ID\} for "Notes" has no value/);
  });

  it('reads stdin bounded and decoded like a file', async () => {
    const r = await h.cli(['run', 'Echo Text', '--inputs', '-', ...runArgs], {
      stdin: { text: '[1, 2]' },
    });
    assertRefused(r, /<stdin> must be a JSON object of input values, but it is a list/);
  });

  it('a FIFO whose writer never writes does not stop SIGTERM: the CLI process exits 130', async function () {
    this.timeout(20_000);
    const fifo = path.join(h.dir, 'stalled.fifo');
    execFileSync('mkfifo', [fifo]);
    // Held open for reading and writing: the CLI finds a writer, and no data ever comes.
    const held = openSync(fifo, constants.O_RDWR);
    try {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(root, 'src/cli/main.ts'),
          'run',
          'Echo Text',
          '--inputs',
          fifo,
          ...runArgs,
        ],
        {
          cwd: root,
          env: { PATH: process.env.PATH ?? '', ...h.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      // Until the process has the FIFO open (it then waits for data), however long its start takes.
      for (let i = 0; i < 300 && !holdsOpen(child.pid, fifo); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(holdsOpen(child.pid, fifo), 'the CLI opened the FIFO');
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 8_000);
      const code = await exited;
      clearTimeout(killer);
      assert.equal(code, 130, `exit ${code}; stderr: ${stderr}`);
      assert.deepEqual(h.runRequests, []);
    } finally {
      closeSync(held);
    }
  });
});

describe('desktop-flows CLI: the inputs limit follows the environment', () => {
  const h = cliSuite('desktop-flows-limit-', () => {
    // Contoso Dev flagged as a China-region environment, as the sandbox's bulk environment is.
    const data = defaultSeed();
    data.environments = data.environments
      .filter((e) => e.name !== seedEnvironmentNames.bulk)
      .map((e) => (e.name === seedEnvironmentNames.dev ? { ...e, chinaCloud: true, region: 'CHN' } : e));
    return { data };
  });

  it('refuses 1.5 MB of inputs for a China-region environment before sending (its limit is 1 MB)', async () => {
    const p = path.join(h.dir, 'big.json');
    await writeFile(
      p,
      JSON.stringify({
        $schema: `desktopflows-schema:/${flows.echoText}.json`,
        inputText: 'x'.repeat(1.5 * 1024 * 1024),
        inputInteger: 1,
      }),
    );
    const r = await h.cli(['run', '--inputs', p, ...runArgs]);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(h.runRequests, [], 'nothing was sent');
    assert.match(r.stderr, /over this environment's limit of 1,048,576 bytes \(1 MB\)/);
  });
});
