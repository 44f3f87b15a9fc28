// The shipped bundles' esbuild options, shared by esbuild.mjs, the bundle tests (test/unit/bundle.test.ts)
// and the activation bench (bench/activation.bench.ts).
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';

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

/** File names of the extension's chunks next to dist/extension.js (see extensionChunksPlugin). */
export const extensionChunkPattern = /^extension-[A-Z0-9]{8}\.js(\.map)?$/;

/**
 * The extension bundle is split: `dist/extension.js` holds what activation needs, and every `import()` in
 * src/ (a feature loaded on first use) becomes a chunk of its own, `dist/extension-<hash>.js`, with the
 * modules both sides use in shared chunks (one copy each, so module state is shared). esbuild splits only
 * ES modules, while VS Code loads extensions as CommonJS: this plugin builds the ESM chunks in memory and
 * turns each into a CommonJS file, where `import()` becomes `require()` of the chunk on first use. Linked
 * source maps follow the sources through both steps. With `write`, the files replace the chunks of an
 * earlier build in the output folder.
 * @param {{ write: boolean, minify: boolean, sourcemap: boolean }} options
 * @returns {import('esbuild').Plugin}
 */
function extensionChunksPlugin({ write, minify, sourcemap }) {
  return {
    name: 'extension-chunks',
    setup(build) {
      build.onEnd(async (result) => {
        if (result.errors.length > 0 || result.outputFiles === undefined) {
          return;
        }
        const files = [];
        for (const file of result.outputFiles) {
          if (!file.path.endsWith('.js')) {
            continue; // the step's own source maps are inline; the final ones come from the transform
          }
          const name = path.basename(file.path);
          const cjs = await esbuild.transform(file.text, {
            format: 'cjs',
            loader: 'js',
            platform: 'node',
            target: 'node20',
            minify,
            // import() → Promise.resolve().then(() => require(chunk)): a plain CommonJS load, on first use.
            supported: { 'dynamic-import': false },
            ...(sourcemap ? { sourcemap: 'external', sourcefile: file.path } : {}),
          });
          const code = sourcemap ? `${cjs.code}//# sourceMappingURL=${name}.map\n` : cjs.code;
          files.push({ path: file.path, text: code });
          if (sourcemap) {
            files.push({ path: `${file.path}.map`, text: cjs.map });
          }
        }
        result.outputFiles.splice(
          0,
          result.outputFiles.length,
          ...files.map((f) => {
            const contents = Buffer.from(f.text);
            return { path: f.path, contents, text: f.text, hash: '' };
          }),
        );
        if (write && files.length > 0) {
          const dir = path.dirname(files[0].path);
          mkdirSync(dir, { recursive: true });
          for (const stale of readdirSync(dir).filter((f) => extensionChunkPattern.test(f))) {
            rmSync(path.join(dir, stale), { force: true });
          }
          for (const f of files) {
            writeFileSync(f.path, f.text);
          }
        }
      });
    },
  };
}

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
 * The build options of dist/extension.js and its chunks (see extensionChunksPlugin): an ES-module build with
 * code splitting, written by the plugin as CommonJS files into `outdir`. Merge over commonOptions(production).
 * The metafile describes the ES-module step: its `outputs` are the files written (same names), with each
 * chunk's static (`import-statement`) and on-first-use (`dynamic-import`) imports.
 * @param {{ production: boolean, outdir?: string, write?: boolean }} options
 * @returns {import('esbuild').BuildOptions & { outdir: string }}
 */
export function extensionOptions({ production, outdir = 'dist', write = true }) {
  return {
    entryPoints: ['src/extension.ts'],
    outdir,
    entryNames: '[name]',
    chunkNames: 'extension-[hash]',
    format: 'esm',
    splitting: true,
    write: false,
    sourcemap: production ? false : 'inline',
    plugins: [
      lazyModulesPlugin,
      extensionChunksPlugin({ write, minify: production, sourcemap: !production }),
    ],
  };
}

/**
 * The bundles that ship in the .vsix besides the extension (extensionOptions): the modules it loads on first use,
 * the sandbox it starts as a child process, the CLI.
 * @returns {(import('esbuild').BuildOptions & { outfile: string })[]}
 */
export function shippedEntries() {
  const entries = [
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

/**
 * The files evaluated when `entry` (an output of the extension build, e.g. `dist/extension.js`) is loaded:
 * it and the chunks it imports statically, transitively. Chunks reached only through `import()` (features
 * loaded on first use) are not among them.
 * @param {import('esbuild').Metafile} metafile
 * @param {string} entry
 * @returns {string[]}
 */
export function activationOutputs(metafile, entry) {
  const seen = new Set();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop();
    if (file === undefined || seen.has(file) || metafile.outputs[file] === undefined) {
      continue;
    }
    seen.add(file);
    for (const i of metafile.outputs[file].imports) {
      if (!i.external && i.kind === 'import-statement') {
        queue.push(i.path);
      }
    }
  }
  return [...seen];
}
