/**
 * What ships: the production bundles are built (in memory) with the options of esbuild.mjs and their
 * esbuild metafiles inspected. The extension bundle carries no sandbox module (the sandbox runs as a
 * child process), nothing from devDependencies ships, and loading the extension bundle leaves the
 * extension host's globals (`Reflect`) untouched.
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
  shippedEntries(): (esbuild.BuildOptions & { outfile: string })[];
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

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'df-bundles-'));
    const config = (await import(pathToFileURL(path.join(root, 'esbuild.config.mjs')).href)) as BundleConfig;
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

  it('leaves undici, msal and ajv out of dist/extension.js: they load on first use from files of their own', () => {
    const packages = new Set(Object.keys(built.get('extension.js')?.metafile.inputs ?? {}).map(packageOf));
    for (const heavy of ['undici', '@azure/msal-node', '@azure/msal-common', 'ajv']) {
      assert.ok(!packages.has(heavy), `${heavy} is in dist/extension.js`);
    }
    const code = built.get('extension.js')?.code ?? '';
    for (const file of ['./undici.js', './msal.js', './ajv.js']) {
      assert.ok(code.includes(`require("${file}")`), `dist/extension.js requires ${file} on first use`);
      assert.ok(built.has(file.slice(2)), `${file} is built`);
    }
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
