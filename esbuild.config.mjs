// The shipped bundles' esbuild options, shared by esbuild.mjs, the bundle tests (test/unit/bundle.test.ts)
// and the activation bench (bench/activation.bench.ts).
import { existsSync } from 'node:fs';

/**
 * Options common to every bundle.
 * @param {boolean} production
 * @returns {import('esbuild').BuildOptions}
 */
export function commonOptions(production) {
  return {
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: production ? false : 'linked',
    minify: production,
    logLevel: 'warning',
    // `vscode` is provided by the host; everything else is bundled.
    external: ['vscode'],
    // jsonc-parser's `main` is a UMD build whose dynamic require('./impl/…') esbuild cannot follow;
    // its ES module build bundles cleanly.
    alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
  };
}

/**
 * The bundles that ship in the .vsix: the extension, the sandbox it starts as a child process, the CLI.
 * @returns {(import('esbuild').BuildOptions & { outfile: string })[]}
 */
export function shippedEntries() {
  const entries = [
    { entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
    // The sandbox runs as a child process of the extension ("Try the Sandbox"), never inside the host.
    { entryPoints: ['src/sandbox/main.ts'], outfile: 'dist/sandbox.js' },
  ];
  if (existsSync('src/cli/main.ts')) {
    entries.push({
      entryPoints: ['src/cli/main.ts'],
      outfile: 'dist/cli.js',
      banner: { js: '#!/usr/bin/env node' },
    });
  }
  return entries;
}
