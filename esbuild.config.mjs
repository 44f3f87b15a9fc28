// The shipped bundles' esbuild options, shared by esbuild.mjs, the bundle tests (test/unit/bundle.test.ts)
// and the activation bench (bench/activation.bench.ts).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Modules the extension loads on first use from a file of their own next to dist/extension.js, instead of
 * carrying them in the bundle it evaluates at activation. In the extension bundle, `import … from 'undici'`
 * becomes a stand-in whose exports are getters: the first one read requires `./undici.js`.
 * @type {Record<string, string>}
 */
export const lazyModules = { undici: 'undici.js', '@azure/msal-node': 'msal.js', ajv: 'ajv.js' };

/** @type {import('esbuild').Plugin} */
const lazyModulesPlugin = {
  name: 'lazy-modules',
  setup(build) {
    const names = Object.keys(lazyModules).map((n) => n.replace(/[/\\^$*+?.()|[\]{}]/g, '\\$&'));
    build.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, (args) => ({
      path: args.path,
      namespace: 'lazy-module',
    }));
    build.onLoad({ filter: /.*/, namespace: 'lazy-module' }, (args) => {
      const keys = Object.keys(require(args.path)).filter((k) => k !== '__esModule');
      const file = JSON.stringify(`./${lazyModules[args.path]}`);
      return {
        contents: [
          'let loaded;',
          `const load = () => (loaded ??= require(${file}));`,
          `for (const key of ${JSON.stringify(keys)}) {`,
          '  Object.defineProperty(exports, key, { enumerable: true, get: () => load()[key] });',
          '}',
        ].join('\n'),
        loader: 'js',
      };
    });
    build.onResolve({ filter: /.*/, namespace: 'lazy-module' }, (args) => ({
      path: args.path,
      external: true,
    }));
  },
};

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
    { entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', plugins: [lazyModulesPlugin] },
    // The extension's lazy modules, each on its own (see lazyModules).
    ...Object.entries(lazyModules).map(([name, file]) => ({
      entryPoints: [require.resolve(name)],
      outfile: `dist/${file}`,
    })),
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
