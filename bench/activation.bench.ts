/**
 * What activation costs. Builds the production bundles (the options of esbuild.mjs) into a temporary folder,
 * then, side by side in fresh Node processes, measures:
 * - bundle sizes: the extension (dist/extension.js, the chunks activation evaluates with it, the chunks of
 *   features loaded on first use), the CLI, the sandbox, and the modules the extension loads on first use;
 * - evaluating `dist/extension.js` with a stub `vscode` module (test/fixtures/vscodeStub.cjs), an empty
 *   extension, and a minified bundle of undici alone (the headline is the ratio to undici alone; target
 *   ≤ 0.5);
 * - `activate()` with no account signed in (stub context, empty secrets).
 * Prints medians of N runs (default 15). Run with `npx tsx bench/activation.bench.ts [runs]`.
 * Targets (issue 13): dist/extension.js ≤ 1 MiB; evaluation ≤ half of undici alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

interface BundleConfig {
  commonOptions(production: boolean): esbuild.BuildOptions;
  extensionOptions(options: { production: boolean; outdir?: string; write?: boolean }): esbuild.BuildOptions;
  shippedEntries(): (esbuild.BuildOptions & { outfile: string })[];
  activationOutputs(metafile: esbuild.Metafile, entry: string): string[];
  lazyModules: Record<string, string>;
}

const root = path.resolve(__dirname, '..');
const runs = Math.max(15, Number(process.argv[2] ?? 15) || 15);
const stub = path.join(root, 'test/fixtures/vscodeStub.cjs');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Time, in a fresh process, how long `require(file)` (and optionally `activate`) takes. */
function measure(file: string, activate: boolean): number {
  const script = `
    const t0 = performance.now();
    const mod = require(${JSON.stringify(file)});
    const t1 = performance.now();
    let t2 = t1;
    if (${String(activate)}) {
      const memento = { get: (k, d) => d, update: () => Promise.resolve(), keys: () => [], setKeysForSync() {} };
      const context = {
        subscriptions: [],
        secrets: { get: () => Promise.resolve(undefined), store: () => Promise.resolve(), delete: () => Promise.resolve(), onDidChange: () => ({ dispose() {} }) },
        globalState: memento,
        workspaceState: memento,
        extension: { packageJSON: { version: '0.0.0' } },
        extensionUri: { fsPath: ${JSON.stringify(root)} },
        extensionPath: ${JSON.stringify(root)},
        globalStorageUri: { fsPath: ${JSON.stringify(tmpdir())} },
        logUri: { fsPath: ${JSON.stringify(tmpdir())} },
      };
      const tA = performance.now();
      mod.activate(context);
      t2 = performance.now() - tA + t1;
    }
    process.stdout.write(JSON.stringify({ evalMs: t1 - t0, activateMs: t2 - t1 }));
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--require', stub, '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) {
    throw new Error(`measuring ${file} failed: ${r.stderr.slice(-1500)}`);
  }
  const seen = JSON.parse(r.stdout) as { evalMs: number; activateMs: number };
  return activate ? seen.activateMs : seen.evalMs;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'df-activation-'));
  try {
    const config = (await import(pathToFileURL(path.join(root, 'esbuild.config.mjs')).href)) as BundleConfig;
    const metas = new Map<string, esbuild.Metafile>();
    // The extension: dist/extension.js, the chunks it imports, and the chunks loaded on first use.
    const ext = await esbuild.build({
      ...config.commonOptions(true),
      ...config.extensionOptions({ production: true, outdir: dir }),
      absWorkingDir: root,
      metafile: true,
      logLevel: 'error',
    });
    metas.set('extension.js', ext.metafile);
    for (const entry of config.shippedEntries()) {
      const result = await esbuild.build({
        ...config.commonOptions(true),
        ...entry,
        absWorkingDir: root,
        outfile: path.join(dir, path.basename(entry.outfile)),
        metafile: true,
        logLevel: 'error',
      });
      metas.set(path.basename(entry.outfile), result.metafile);
    }
    // Baselines: an empty extension, and undici alone, minified like ours.
    const empty = path.join(dir, 'empty.js');
    writeFileSync(empty, 'exports.activate=function(){};exports.deactivate=function(){};');
    const undiciAlone = path.join(dir, 'undici-alone.js');
    await esbuild.build({
      ...config.commonOptions(true),
      stdin: { contents: "module.exports = require('undici');", resolveDir: root, loader: 'js' },
      absWorkingDir: root,
      outfile: undiciAlone,
      logLevel: 'error',
    });

    const extension = path.join(dir, 'extension.js');
    const samples = {
      extension: [] as number[],
      empty: [] as number[],
      undici: [] as number[],
      activate: [] as number[],
    };
    for (let i = 0; i < runs; i++) {
      // Interleaved so that machine load affects every column alike.
      samples.extension.push(measure(extension, false));
      samples.empty.push(measure(empty, false));
      samples.undici.push(measure(undiciAlone, false));
      samples.activate.push(measure(extension, true));
    }
    const kib = (file: string): string => `${(statSync(path.join(dir, file)).size / 1024).toFixed(1)} KiB`;
    const mib = 1024 * 1024;
    const extensionBytes = statSync(extension).size;
    console.log(
      `Production bundles (esbuild, minified) and their evaluation; ${runs} fresh processes each, medians.\n`,
    );
    const extMeta = metas.get('extension.js');
    if (extMeta === undefined) {
      throw new Error('no metafile for the extension');
    }
    const outName = (output: string): string => path.basename(output);
    const activationFiles = config.activationOutputs(extMeta, path.relative(root, extension));
    const chunkFiles = Object.keys(extMeta.outputs)
      .filter((o) => o.endsWith('.js'))
      .map(outName)
      .filter((f) => f !== 'extension.js');
    const bytesOf = (files: string[]): number =>
      files.reduce((sum, f) => sum + statSync(path.join(dir, outName(f))).size, 0);
    const activationBytes = bytesOf(activationFiles);
    const onFirstUse = chunkFiles.filter((f) => !activationFiles.map(outName).includes(f));
    const sizes: [string, string][] = [
      [
        'dist/extension.js',
        `${kib('extension.js')} (${((extensionBytes / mib) * 100).toFixed(0)} % of 1 MiB)`,
      ],
      [
        `evaluated at activation (${activationFiles.length} files)`,
        `${(activationBytes / 1024).toFixed(1)} KiB`,
      ],
      [
        `dist/extension-*.js loaded on first use (${onFirstUse.length})`,
        `${(bytesOf(onFirstUse) / 1024).toFixed(1)} KiB`,
      ],
      ['dist/cli.js', kib('cli.js')],
      ['dist/sandbox.js', kib('sandbox.js')],
      ...Object.values(config.lazyModules).map((f): [string, string] => [
        `dist/${f} (loaded on first use)`,
        kib(f),
      ]),
    ];
    const w = Math.max(...sizes.map(([n]) => n.length));
    console.log(`${'bundle'.padEnd(w)}  size`);
    console.log(`${'-'.repeat(w)}  ${'-'.repeat(24)}`);
    for (const [n, s] of sizes) {
      console.log(`${n.padEnd(w)}  ${s}`);
    }
    const undiciMs = median(samples.undici);
    const rows: [string, number][] = [
      ['evaluate dist/extension.js (stub vscode)', median(samples.extension)],
      ['evaluate an empty extension', median(samples.empty)],
      ['evaluate undici alone (minified)', undiciMs],
      ['activate() with no account', median(samples.activate)],
    ];
    const nw = Math.max(...rows.map(([n]) => n.length));
    console.log(`\n${'stage'.padEnd(nw)}  ${'median ms'.padStart(10)}  ${'× undici alone'.padStart(14)}`);
    console.log(`${'-'.repeat(nw)}  ${'-'.repeat(10)}  ${'-'.repeat(14)}`);
    for (const [n, ms] of rows) {
      console.log(
        `${n.padEnd(nw)}  ${ms.toFixed(1).padStart(10)}  ${(ms / undiciMs).toFixed(2).padStart(14)}`,
      );
    }
    console.log(
      `\nTargets: dist/extension.js ≤ 1 MiB (${extensionBytes <= mib ? 'met' : 'NOT met'}); evaluation ≤ 0.5 × undici alone (${median(samples.extension) / undiciMs <= 0.5 ? 'met' : 'NOT met'}).`,
    );
    // Top contributors to what activation evaluates (dist/extension.js and the chunks it imports).
    const byPackage = new Map<string, number>();
    for (const file of activationFiles) {
      for (const [input, info] of Object.entries(extMeta.outputs[file]?.inputs ?? {})) {
        const pkg =
          /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? input.split('/').slice(0, 3).join('/');
        byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + info.bytesInOutput);
      }
    }
    console.log('\nTop 10 contributors to what activation evaluates:');
    for (const [pkg, bytes] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 10)) {
      console.log(`  ${pkg.padEnd(28)} ${(bytes / 1024).toFixed(1).padStart(7)} KiB`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
