// Bundles the extension (dist/extension.js), the CLI (dist/cli.js), the integration tests
// (dist/test/integration/*.js) and the README screenshot driver (dist/test/screenshots/*.js).
// Usage: node esbuild.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  // The JSON Schema validator and msal are bundled; `vscode` is provided by the host.
  external: ['vscode'],
  // jsonc-parser's `main` is a UMD build whose dynamic require('./impl/…') esbuild cannot follow;
  // its ES module build bundles cleanly.
  alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
};

const entries = [{ entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' }];
if (existsSync('src/cli/main.ts')) {
  entries.push({
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
  });
}
if (!production && existsSync('test/integration')) {
  const tests = readdirSync('test/integration', { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join('test/integration', f));
  // Test files stay separate modules so mocha can load them one by one; mocha itself is external.
  entries.push({ entryPoints: tests, outdir: 'dist/test/integration', external: ['vscode', 'mocha'] });
}
if (!production && existsSync('test/screenshots')) {
  // The README screenshots (scripts/screenshots.mjs): modules the extension host runs instead of mocha.
  const shots = readdirSync('test/screenshots')
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join('test/screenshots', f));
  entries.push({ entryPoints: shots, outdir: 'dist/test/screenshots' });
}

const contexts = await Promise.all(entries.map((e) => esbuild.context({ ...common, ...e })));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
