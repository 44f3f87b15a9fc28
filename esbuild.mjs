// Bundles the extension (dist/extension.js and the chunks it loads on first use, dist/extension-*.js), the sandbox it starts as a child process (dist/sandbox.js), the CLI (dist/cli.js), the integration tests
// (dist/test/integration/*.js) and the README screenshot driver (dist/test/screenshots/*.js).
// Usage: node esbuild.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { commonOptions, extensionOptions, shippedEntries } from './esbuild.config.mjs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = commonOptions(production);
// metafile: the sizes and contents of each shipped bundle land next to it (dist/*.meta.json).
// The extension is split into dist/extension.js and chunks loaded on first use (extensionOptions).
const entries = [
  { ...extensionOptions({ production }), metafile: true, metafileFile: 'dist/extension.meta.json' },
  ...shippedEntries().map((e) => ({ ...e, metafile: true })),
];
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

const contexts = await Promise.all(
  entries.map(({ metafileFile: _, ...e }) => esbuild.context({ ...common, ...e })),
);
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  const results = await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  mkdirSync('dist', { recursive: true });
  results.forEach((result, i) => {
    const entry = entries[i];
    const file = entry.metafileFile ?? entry.outfile?.replace(/\.js$/, '.meta.json');
    if (result.metafile !== undefined && file !== undefined) {
      writeFileSync(file, JSON.stringify(result.metafile));
    }
  });
}
