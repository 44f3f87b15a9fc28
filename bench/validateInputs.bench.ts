/**
 * Validating a 2 MB input file (the Public cloud's limit) against the Invoice Processing flow's schema
 * from the sandbox seed, compared with `JSON.parse` of the same text in the same run.
 *
 * Prints one table of medians: JSON.parse (the baseline), `parseInputDocument` (the fast path for plain
 * JSON), the same with the spans a problem needs, the scanner pass (for text `JSON.parse` refuses even
 * without comments), a JSONC file (read as JSON once its comments and trailing commas are blanked), a full
 * `validateInputFile` of a valid file (ajv validator cached) and of it as JSONC, the same file with
 * problems to place, and
 * `prepareRunInputs` with a reference to resolve; each as a ratio to JSON.parse. Targets (issue 13): a valid file
 * ≤ 3×, `prepareRunInputs` ≤ 4×, printed beside their rows with whether both measures meet them. Each stage is
 * timed two ways in the same rounds (see `timeStages`). The one-off ajv compile of a new schema is printed
 * separately. Run with
 * `npx tsx bench/validateInputs.bench.ts [rounds]`.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { clouds } from '../src/core/clouds';
import { parseDesktopFlowSchema, type DesktopFlowSchema } from '../src/core/inputs/desktopFlowSchema';
import { parseInputDocument, scanInputDocument } from '../src/core/inputs/inputDocument';
import { prepareRunInputs } from '../src/core/inputs/prepareRunInputs';
import { checkAgainstSchema } from '../src/core/inputs/schemaValidatorCache';
import { validateInputFile } from '../src/core/inputs/validateInputFile';
import { flowSchemaFromText } from '../src/core/model/flowSchema';
import { inputsSchemaText } from '../src/sandbox/flowSchema';
import { defaultSeed, seedIds } from '../src/sandbox/seed';

const rounds = Math.max(3, Number(process.argv[2] ?? 15));
const limitBytes = clouds.Public.inputLimitBytes;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** `gc()`, made available without a command-line flag (the bench runner starts plain `node`). */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Runs per batch in the "own batch" measure. */
const batch = 3;

/** One stage's samples: its times, and each time divided by the baseline's time taken just before it. */
interface Samples {
  ms: number[];
  ratios: number[];
}

async function timeOnce(run: () => unknown, times: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let k = 0; k < times; k++) {
    await run();
  }
  return Number(process.hrtime.bigint() - start) / 1e6 / times;
}

/**
 * Two measures, taken in the same rounds so that load from other processes falls on both and on every
 * stage alike (two warm-up rounds are dropped). Stage 0 is the baseline (`JSON.parse`), and every other
 * stage is timed straight after a run of it, so each sample is a pair: the ratio printed is the median of
 * the pairs' ratios, which a machine that slows down for a while (another process, a busy neighbour on
 * the host) slows on both sides. The ratio of the two medians, which the first version of this bench
 * printed, moved by half on an idle 2-core VM between runs a minute apart, because the baseline's
 * own median did.
 * - round-robin: the baseline once, then the stage once, straight after it. The stage can be charged for
 *   collecting the garbage the baseline left, and the baseline for the previous stage's.
 * - own batch: the heap collected (untimed) before the baseline and before the stage, then `batch` runs
 *   of each timed together, so a stage pays for the collections its own garbage causes and for no other.
 */
async function timeStages(
  stages: readonly (readonly [string, () => unknown, number?])[],
  gc: () => void,
): Promise<{ roundRobin: Samples[]; ownBatch: Samples[] }> {
  const samples = (): Samples[] => stages.map(() => ({ ms: [], ratios: [] }));
  const roundRobin = samples();
  const ownBatch = samples();
  const baseline = stages[0]?.[1];
  if (baseline === undefined) {
    throw new Error('No baseline stage');
  }
  const record = (into: Samples[], i: number, baseMs: number, ms: number): void => {
    into[0]?.ms.push(baseMs);
    into[0]?.ratios.push(1);
    into[i]?.ms.push(ms);
    into[i]?.ratios.push(ms / baseMs);
  };
  for (let round = 0; round < rounds + 2; round++) {
    for (const [i, [, run]] of stages.entries()) {
      if (i === 0) {
        continue;
      }
      const baseMs = await timeOnce(baseline, 1);
      const ms = await timeOnce(run, 1);
      if (round >= 2) {
        record(roundRobin, i, baseMs, ms);
      }
    }
    for (const [i, [, run]] of stages.entries()) {
      if (i === 0) {
        continue;
      }
      gc();
      const baseMs = await timeOnce(baseline, batch);
      gc();
      const ms = await timeOnce(run, batch);
      if (round >= 2) {
        record(ownBatch, i, baseMs, ms);
      }
    }
  }
  return { roundRobin, ownBatch };
}

function invoiceSchema(): DesktopFlowSchema {
  const flow = defaultSeed()
    .environments.flatMap((e) => e.flows)
    .find((f) => f.id === seedIds.flows.invoice);
  if (flow === undefined) {
    throw new Error('The seed has no Invoice Processing flow');
  }
  return parseDesktopFlowSchema(flowSchemaFromText('inputs', inputsSchemaText(flow)), 'inputs').schema;
}

/** A realistic input file whose serialized inputs are just under `bytes`: line items, a ledger table, text. */
function bigInputFile(bytes: number): string {
  const values = {
    $schema: `desktopflows-schema:/${seedIds.flows.invoice}.json`,
    InvoiceId: 'INV-2025-000123',
    Amount: 12345.67,
    IsUrgent: true,
    Customer: { name: 'Contoso Ltd', id: 'C-0042', address: { city: 'Zürich', zip: '8001' } },
    LineItems: [] as unknown[],
    Ledger: [] as unknown[],
    ApiKey: '${secret:ErpKey}',
    Notes: 'Imported from the ERP export — naïve café façade ✓',
  };
  let size = Buffer.byteLength(JSON.stringify(values), 'utf8');
  for (let i = 0; size < bytes - 400; i++) {
    const item = {
      line: i,
      sku: `SKU-${i % 977}`,
      description: `Widget ${i} – blue`,
      quantity: (i % 12) + 1,
      price: 9.95 + (i % 50),
    };
    const row = {
      Line: i,
      Account: String(4000 + (i % 40)),
      Amount: Math.round(i * 1.25 * 100) / 100,
      Posted: i % 3 !== 0,
    };
    const item2 = i % 2 === 0 ? item : row;
    (i % 2 === 0 ? values.LineItems : values.Ledger).push(item2);
    size += Buffer.byteLength(JSON.stringify(item2), 'utf8') + 1;
  }
  return JSON.stringify(values, null, 2);
}

async function main(): Promise<void> {
  const schema = invoiceSchema();
  const text = bigInputFile(limitBytes);
  // The same file with three problems, so their positions must be computed (near the end, worst case).
  const broken = `${text.slice(0, -2)},\n  "Amout": 1,\n  "IsUrgent": "yes",\n  "Customer": null\n}`
    .replace('"IsUrgent": true,', '')
    .replace('"Customer": {', '"Customer0": {');
  // The same file as JSONC: a comment at the top, a trailing comma in a list and at the end.
  const jsonc = `// Invoice inputs, exported from the ERP\n${text.slice(0, -2)},\n}`.replace(
    /\}\n {2}\],/,
    '},\n  ],',
  );
  const options = { limitBytes, flowId: seedIds.flows.invoice };
  const signal = new AbortController().signal;
  const resolver = (): Promise<string> => Promise.resolve('erp-api-key-0123456789');

  const valid = validateInputFile(text, schema, options);
  const invalid = validateInputFile(broken, schema, options);
  const commented = validateInputFile(jsonc, schema, options);
  if (!valid.ok || invalid.ok || !commented.ok || commented.problems.length !== 3) {
    throw new Error(`unexpected validation result: ${JSON.stringify(valid.problems.slice(0, 3))}`);
  }

  // One-off cost: compiling the ajv validator for a schema not seen before.
  const compileStart = process.hrtime.bigint();
  checkAgainstSchema({ ...schema, variables: [...schema.variables] }, {});
  const firstCompileMs = Number(process.hrtime.bigint() - compileStart) / 1e6;

  // [name, run, target as × JSON.parse (issue 13), when there is one]
  const stages: [string, () => unknown, number?][] = [
    ['JSON.parse (baseline)', () => JSON.parse(text) as unknown],
    ['parseInputDocument (JSON.parse + checks)', () => parseInputDocument(text)],
    ['parseInputDocument + spans (a problem to place)', () => parseInputDocument(text).properties.size],
    ['scanInputDocument (the scanner pass, for what JSON.parse refuses)', () => scanInputDocument(text)],
    ['parseInputDocument, JSONC file (comment, trailing commas)', () => parseInputDocument(jsonc)],
    ['validateInputFile, valid file', () => validateInputFile(text, schema, options), 3],
    ['validateInputFile, valid JSONC file', () => validateInputFile(jsonc, schema, options)],
    [
      `validateInputFile, ${invalid.problems.length} problems`,
      () => validateInputFile(broken, schema, options),
    ],
    [
      'prepareRunInputs (1 reference)',
      () => prepareRunInputs(text, schema, { ...options, signal, resolver }),
      4,
    ],
  ];
  const { roundRobin, ownBatch } = await timeStages(stages, exposeGc());
  const summary = (of: Samples | undefined): { ms: number; ratio: number } => ({
    ms: median(of?.ms ?? []),
    ratio: median(of?.ratios ?? []),
  });
  const rr = stages.map(([name], i): [string, { ms: number; ratio: number }] => [
    name,
    summary(roundRobin[i]),
  ]);
  const own = stages.map((_, i) => summary(ownBatch[i]));

  const bytes = valid.bytes ?? 0;
  console.log(
    `Input file: ${(text.length / 1024 / 1024).toFixed(2)} MB of text, inputs ${bytes.toLocaleString('en-US')} bytes ` +
      `(limit ${limitBytes.toLocaleString('en-US')}); ${rounds} rounds; medians of the times in ms, and of each\n` +
      `time ÷ the time of JSON.parse run just before it in the same round (×).\n` +
      `round-robin: JSON.parse once, then the stage once (it may pay for JSON.parse's garbage);\n` +
      `own batch: heap collected before each, then ${batch} runs of each timed together (each pays for its own garbage only).\n`,
  );
  const nameWidth = Math.max(...rr.map(([n]) => n.length));
  const head = ['round-robin ms', '×', 'own batch ms', '×', 'target', 'met'];
  const widths = [14, 6, 12, 6, 6, 4];
  const row = (cells: string[]): string => cells.map((c, k) => c.padStart(widths[k] ?? 0)).join('  ');
  console.log(`${'stage'.padEnd(nameWidth)}  ${row(head)}`);
  console.log(`${'-'.repeat(nameWidth)}  ${row(widths.map((w) => '-'.repeat(w)))}`);
  const unmet: string[] = [];
  for (const [i, [name, r]] of rr.entries()) {
    const o = own[i] ?? { ms: 0, ratio: 0 };
    const target = stages[i]?.[2];
    // A target is met when both measures meet it.
    const met = target === undefined ? '' : r.ratio <= target && o.ratio <= target ? 'yes' : 'NO';
    if (met === 'NO') {
      unmet.push(name);
    }
    console.log(
      `${name.padEnd(nameWidth)}  ${row([r.ms.toFixed(1), r.ratio.toFixed(2), o.ms.toFixed(1), o.ratio.toFixed(2), target === undefined ? '' : `≤ ${target}`, met])}`,
    );
  }
  console.log(
    unmet.length === 0
      ? '\nEvery target is met in both measures.'
      : `\nNot met (in at least one measure): ${unmet.join('; ')}.`,
  );
  console.log(`\nFirst ajv compile of a new schema (once per schema): ${firstCompileMs.toFixed(1)} ms`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
