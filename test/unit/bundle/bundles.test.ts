/**
 * What ships: the production bundles are built (into a temporary folder) with the options of esbuild.mjs
 * and their esbuild metafiles inspected. The extension bundle carries no sandbox module (the sandbox runs
 * as a child process), activation evaluates only what the first screen needs (features are chunks loaded
 * on first use), nothing from devDependencies ships, and loading the extension bundle leaves the extension
 * host's globals (`Reflect`) untouched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

interface BundleConfig {
  commonOptions(production: boolean): esbuild.BuildOptions;
  extensionOptions(options: { production: boolean; outdir?: string; write?: boolean }): esbuild.BuildOptions;
  shippedEntries(): (esbuild.BuildOptions & { outfile: string })[];
  activationOutputs(metafile: esbuild.Metafile, entry: string): string[];
}

const root = path.resolve(__dirname, '../../..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The package a bundled input comes from (`node_modules/@scope/name/...`), or undefined for our sources. */
function packageOf(input: string): string | undefined {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return m?.[1];
}

describe('shipped bundles', function () {
  this.timeout(120_000);
  const built = new Map<string, { metafile: esbuild.Metafile; code: string }>();
  let dir: string;
  let extensionMeta: esbuild.Metafile;
  /** All of the extension's files (dist/extension.js and its chunks). */
  let extensionCode = '';
  /** The files evaluated at activation (dist/extension.js and the chunks it imports statically). */
  let activation: string[] = [];
  /** The sources bundled into the files evaluated at activation. */
  const activationInputs = (): string[] =>
    activation.flatMap((o) => Object.keys(extensionMeta.outputs[o]?.inputs ?? {}));

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'df-bundles-'));
    const config = (await import(pathToFileURL(path.join(root, 'esbuild.config.mjs')).href)) as BundleConfig;
    // The extension: dist/extension.js and its chunks, written as CommonJS files by the build's plugin.
    const ext = await esbuild.build({
      ...config.commonOptions(true),
      ...config.extensionOptions({ production: true, outdir: dir }),
      absWorkingDir: root,
      metafile: true,
      logLevel: 'error',
    });
    extensionMeta = ext.metafile;
    extensionCode = (ext.outputFiles ?? []).map((f) => f.text).join('\n');
    activation = config.activationOutputs(ext.metafile, path.relative(root, path.join(dir, 'extension.js')));
    built.set('extension.js', { metafile: ext.metafile, code: extensionCode });
    for (const entry of config.shippedEntries()) {
      const result = await esbuild.build({
        ...config.commonOptions(true),
        ...entry,
        absWorkingDir: root,
        outfile: path.join(dir, path.basename(entry.outfile)),
        metafile: true,
        write: false,
      });
      const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
      assert.ok(js);
      writeFileSync(js.path, js.contents);
      built.set(path.basename(entry.outfile), { metafile: result.metafile, code: js.text });
    }
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every sandbox module (and its certificate libraries) out of dist/extension.js', () => {
    const inputs = Object.keys(built.get('extension.js')?.metafile.inputs ?? {});
    assert.ok(inputs.length > 50, 'the metafile lists the bundle inputs');
    const sandbox = inputs.filter(
      (i) =>
        i.startsWith('src/sandbox/') ||
        ['selfsigned', 'reflect-metadata', 'tsyringe'].includes(packageOf(i) ?? ''),
    );
    assert.deepEqual(sandbox, []);
    assert.ok(built.has('sandbox.js'), 'the sandbox has its own bundle');
    assert.ok(
      Object.keys(built.get('sandbox.js')?.metafile.inputs ?? {}).some((i) => i === 'src/sandbox/main.ts'),
    );
  });

  it('keeps the sandbox out of dist/cli.js: `desktop-flows sandbox` runs dist/sandbox.js as a child process', () => {
    const cli = built.get('cli.js');
    assert.ok(cli, 'dist/cli.js is built');
    const inputs = Object.keys(cli.metafile.inputs);
    assert.ok(inputs.includes('src/cli/commands/sandboxCommand.ts'));
    const sandbox = inputs.filter(
      (i) =>
        i.startsWith('src/sandbox/') ||
        ['selfsigned', 'reflect-metadata', 'tsyringe', 'asn1js'].includes(packageOf(i) ?? '') ||
        (packageOf(i) ?? '').startsWith('@peculiar/'),
    );
    assert.deepEqual(sandbox, [], 'dist/cli.js carries a copy of the sandbox');
    assert.ok(cli.code.includes('"sandbox.js"'), 'dist/cli.js starts the sandbox entry next to it');
  });

  it('leaves undici, msal and ajv out of dist/extension.js: they load on first use from files of their own', () => {
    const packages = new Set(Object.keys(built.get('extension.js')?.metafile.inputs ?? {}).map(packageOf));
    for (const heavy of ['undici', '@azure/msal-node', '@azure/msal-common', 'ajv']) {
      assert.ok(!packages.has(heavy), `${heavy} is in dist/extension.js`);
    }
    for (const file of ['./undici.js', './msal.js', './ajv.js']) {
      // `require("./undici.js")`, through esbuild's require shim in a chunk next to dist/extension.js.
      assert.ok(extensionCode.includes(`("${file}")`), `the extension requires ${file} on first use`);
      assert.ok(built.has(file.slice(2)), `${file} is built`);
    }
  });

  it('evaluates at activation only what the first screen needs: features are chunks loaded on first use', () => {
    assert.ok(activation.length >= 1 && activation.some((o) => o.endsWith('/extension.js')));
    const inputs = activationInputs();
    assert.ok(inputs.includes('src/vscode/tree/explorerView.ts'), 'the explorer is there from the start');
    assert.ok(inputs.includes('src/vscode/onFirstUse.ts'), 'the stand-ins are there from the start');
    // Modules of features loaded on first use: none of them may be evaluated at activation.
    const lazy = [
      /^src\/extensionFeatures\.ts$/,
      /^src\/core\/agent\//,
      /^src\/vscode\/agent\//,
      /^src\/core\/batch\//,
      /^src\/vscode\/batch\/(?!batchState\.ts$)/,
      /^src\/core\/flowTests\//,
      /^src\/vscode\/flowTests\/(?!flowTestController\.ts$)/,
      /^src\/vscode\/readiness\/(?!readinessDocumentSchemes\.ts$)/,
      /^src\/vscode\/readOnlyDocuments\.ts$/,
      /^src\/core\/runs\/(runService|runTrigger|prepareRun|reconciliation|whyWaiting)/,
      /^src\/vscode\/runs\/(?!runDocumentScheme\.ts$|runsViewId\.ts$|mementoRunJournal\.ts$|runErrorWords\.ts$)/,
      /^src\/core\/inputs\/(inputFileAnalysis|prepareRunInputs|validate)/,
      /^src\/vscode\/inputs\//,
      /node_modules\/jsonc-parser\//,
    ];
    const eager = inputs.filter((i) => lazy.some((re) => re.test(i)));
    assert.deepEqual(eager, [], 'modules of features loaded on first use are evaluated at activation');
    // …and they are in the build, in chunks reached through import().
    const later = Object.entries(extensionMeta.outputs)
      .filter(([o]) => o.endsWith('.js') && !activation.includes(o))
      .flatMap(([, out]) => Object.keys(out.inputs));
    for (const module of [
      'src/extensionFeatures.ts',
      'src/vscode/batch/batchController.ts',
      'src/vscode/agent/languageModelTools.ts',
      'src/vscode/runs/runsController.ts',
      'src/vscode/inputs/inputFileService.ts',
      'src/vscode/readiness/whyWaitingCommand.ts',
    ]) {
      assert.ok(later.includes(module), `${module} is in a chunk loaded on first use`);
    }
  });

  it('activate() with no account loads no feature chunk (they load on first use)', () => {
    const bundle = path.join(dir, 'extension.js');
    const script = `
      const api = require(${JSON.stringify(bundle)});
      const memento = { get: (k, d) => d, update: () => Promise.resolve(), keys: () => [], setKeysForSync() {} };
      const never = { dispose() {} };
      api.activate({
        subscriptions: [],
        secrets: { get: () => Promise.resolve(undefined), store: () => Promise.resolve(), delete: () => Promise.resolve(), onDidChange: () => never },
        globalState: memento,
        workspaceState: memento,
        extension: { packageJSON: { version: '0.0.0' } },
        extensionUri: { fsPath: ${JSON.stringify(dir)} },
        extensionPath: ${JSON.stringify(dir)},
        globalStorageUri: { fsPath: ${JSON.stringify(tmpdir())} },
        logUri: { fsPath: ${JSON.stringify(tmpdir())} },
      });
      setTimeout(() => {
        const loaded = Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(dir)}));
        process.stdout.write(JSON.stringify(loaded.map((f) => require('node:path').basename(f))));
        process.exit(0);
      }, 200);`;
    const r = spawnSync(
      process.execPath,
      ['--require', path.join(root, 'test/fixtures/vscodeStub.cjs'), '-e', script],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const loaded = (JSON.parse(r.stdout) as string[]).sort();
    assert.deepEqual(loaded, activation.map((o) => path.basename(o)).sort());
  });

  it('ships nothing from devDependencies, and every package it ships is a dependency (or one of theirs)', () => {
    const dev = new Set(Object.keys(manifest.devDependencies));
    for (const [name, bundle] of built) {
      const shippedDev = [
        ...new Set(
          Object.keys(bundle.metafile.inputs)
            .map(packageOf)
            .filter((p): p is string => p !== undefined && dev.has(p)),
        ),
      ];
      assert.deepEqual(shippedDev, [], `${name} bundles devDependencies`);
    }
    // The sandbox's certificate generator ships in dist/sandbox.js, so it is a dependency.
    assert.ok(manifest.dependencies.selfsigned !== undefined);
  });

  it('loads dist/extension.js without touching the global Reflect (no reflect-metadata in the host)', () => {
    const bundle = path.join(dir, 'extension.js');
    const script = `
      const before = Object.getOwnPropertyNames(Reflect).sort().join(',');
      const api = require(${JSON.stringify(bundle)});
      const after = Object.getOwnPropertyNames(Reflect).sort().join(',');
      process.stdout.write(JSON.stringify({ before, after, activate: typeof api.activate }));`;
    const r = spawnSync(
      process.execPath,
      ['--require', path.join(root, 'test/fixtures/vscodeStub.cjs'), '-e', script],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const seen = JSON.parse(r.stdout) as { before: string; after: string; activate: string };
    assert.equal(seen.activate, 'function');
    assert.equal(seen.after, seen.before);
    assert.ok(!seen.after.includes('getMetadata'));
  });
});
