// @ts-check
// `npm run package`: production build, then a .vsix through @vscode/vsce (--no-dependencies:
// everything the extension needs is bundled into dist/). Checks that the package holds only what
// users need (no source maps, no tests, no sources) and prints its size and the bundle sizes.
//
//   node scripts/package.mjs [--out <file.vsix>]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync, inflateRawSync } from 'node:zlib';
import { cacheRoot, codeServerVersion } from './vscodeHost/installCodeServer.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const { values: opt } = parseArgs({ options: { out: { type: 'string' } }, strict: true });
const vsix = path.resolve(opt.out ?? path.join(repoRoot, `${manifest.name}-${manifest.version}.vsix`));

/** Paths (inside the .vsix) users need; anything else is a packaging mistake. */
const allowed = [
  /^\[Content_Types\]\.xml$/,
  /^extension\.vsixmanifest$/,
  /^extension\/package\.json$/,
  /^extension\/readme\.md$/i,
  /^extension\/changelog\.md$/i,
  /^extension\/LICENSE(\.txt)?$/i,
  /^extension\/dist\/(extension|cli|sandbox|undici|msal|ajv)\.js$/,
  // The extension's chunks: shared ones and the features loaded on first use (esbuild.config.mjs).
  /^extension\/dist\/extension-[A-Z0-9]{8}\.js$/,
  /^extension\/media\/.+$/,
];

const kib = (/** @type {number} */ n) => `${(n / 1024).toFixed(1)} KiB`;

/**
 * @param {string} what
 * @param {string} cmd
 * @param {string[]} args
 */
function step(what, cmd, args) {
  const started = Date.now();
  // stdin closed: vsce asks questions (e.g. about a missing LICENSE) on stdin; EOF answers "no"
  // instead of hanging a CI job.
  const r = spawnSync(cmd, args, {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 300_000,
  });
  if (r.status !== 0) {
    console.error(`[package] ${what} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
  console.log(`[package] ${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * Entries of a zip file (name, compressed and uncompressed size), from its central directory.
 * @param {string} file
 * @returns {{ name: string, size: number, packed: number, data: () => Buffer }[]}
 */
function zipEntries(file) {
  const buf = readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    throw new Error(`${file} is not a zip file`);
  }
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) {
      throw new Error(`${file}: corrupt central directory`);
    }
    const method = buf.readUInt16LE(p + 10);
    const packed = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    const data = () => {
      const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
      const raw = buf.subarray(start, start + packed);
      return method === 8 ? inflateRawSync(raw) : raw;
    };
    out.push({ name, size, packed, data });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

step('production build (node esbuild.mjs --production)', process.execPath, ['esbuild.mjs', '--production']);
const vsce = path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
// The repository URL is not on GitHub/GitLab, so vsce cannot turn README's relative links into
// absolute ones (and refuses to package); keep them relative and report below which ones point
// at files users do not get.
step(`vsce package --no-dependencies -o ${path.relative(repoRoot, vsix)}`, process.execPath, [
  vsce,
  'package',
  '--no-dependencies',
  '--no-rewrite-relative-links',
  '-o',
  vsix,
]);

const entries = zipEntries(vsix);
const unexpected = entries.filter((e) => !allowed.some((re) => re.test(e.name)));
const problems = unexpected.map((e) => `unexpected file in the package: ${e.name}`);
const names = new Set(entries.map((e) => e.name));
if (!names.has('extension/dist/extension.js')) {
  problems.push('dist/extension.js (package.json "main") is not in the package');
}
if (
  manifest.bin &&
  Object.values(manifest.bin).includes('./dist/cli.js') &&
  !names.has('extension/dist/cli.js')
) {
  if (existsSync(path.join(repoRoot, 'src', 'cli', 'main.ts'))) {
    problems.push('dist/cli.js (package.json "bin") is not in the package');
  } else {
    console.warn(
      '[package] note: src/cli/main.ts does not exist yet, so the package has no dist/cli.js ("bin")',
    );
  }
}
for (const e of entries.filter((x) => x.name.endsWith('.js'))) {
  if (/\/\/# sourceMappingURL=/.test(e.data().toString('utf8'))) {
    problems.push(`${e.name} references a source map (not a production build)`);
  }
}
if (!names.has('extension/readme.md')) {
  console.warn('[package] note: README.md is missing, so the Marketplace page of the package would be empty');
} else {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const outside = [...readme.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)]
    .map((m) => String(m[1]))
    .filter((link) => !/^[a-z][a-z0-9+.-]*:/i.test(link))
    .filter((link) => !names.has(`extension/${path.posix.normalize(link)}`) && !/^LICENSE$/i.test(link));
  if (outside.length > 0) {
    console.warn(
      `[package] note: README links to files that are not in the package (they only work on the repository page): ${[...new Set(outside)].join(', ')}`,
    );
  }
}

console.log(`\n[package] contents of ${path.relative(repoRoot, vsix)}:`);
for (const e of entries) {
  console.log(`  ${e.name.padEnd(48)} ${kib(e.size).padStart(11)}`);
}
const chunks = readdirSync(path.join(repoRoot, 'dist'))
  .filter((f) => /^extension-[A-Z0-9]{8}\.js$/.test(f))
  .map((f) => path.join(repoRoot, 'dist', f));
if (chunks.length > 0) {
  const bytes = chunks.map((f) => readFileSync(f));
  const total = bytes.reduce((n, b) => n + b.length, 0);
  const packed = bytes.reduce((n, b) => n + gzipSync(b).length, 0);
  console.log(
    `[package] bundle dist/extension-*.js (${chunks.length} chunks, most loaded on first use): ${kib(total)} (${kib(packed)} gzipped)`,
  );
}
for (const bundle of [
  'dist/extension.js',
  'dist/undici.js',
  'dist/msal.js',
  'dist/ajv.js',
  'dist/sandbox.js',
  'dist/cli.js',
]) {
  const file = path.join(repoRoot, bundle);
  if (existsSync(file)) {
    const bytes = readFileSync(file);
    console.log(`[package] bundle ${bundle}: ${kib(bytes.length)} (${kib(gzipSync(bytes).length)} gzipped)`);
  }
}
console.log(
  `[package] ${path.relative(repoRoot, vsix)}: ${kib(statSync(vsix).size)}, ${entries.length} files`,
);
if (problems.length > 0) {
  console.error(`[package] the package is not clean:\n  - ${problems.join('\n  - ')}`);
  process.exit(1);
}
installCheck();

/**
 * When the offline host (code-server) is already installed, installs the .vsix into a throwaway
 * extensions folder: proves VS Code accepts the package (manifest, engines) the way users get it.
 */
function installCheck() {
  const dir = path.join(cacheRoot, `code-server-${codeServerVersion}`);
  const entry = path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!existsSync(path.join(dir, '.desktopflows-host.json'))) {
    console.log(
      '[package] install check skipped: the offline host is not installed (npm run test:integration installs it)',
    );
    return;
  }
  const tmp = mkdtempSync(path.join(tmpdir(), 'vsix-check-'));
  try {
    const config = path.join(tmp, 'config.yaml');
    writeFileSync(config, 'auth: none\n');
    const env = {
      ...process.env,
      XDG_DATA_HOME: tmp,
      XDG_CONFIG_HOME: tmp,
      XDG_CACHE_HOME: tmp,
      XDG_STATE_HOME: tmp,
    };
    const base = [
      entry,
      '--config',
      config,
      '--extensions-dir',
      path.join(tmp, 'ext'),
      '--user-data-dir',
      path.join(tmp, 'ud'),
    ];
    const install = spawnSync(process.execPath, [...base, '--install-extension', vsix], {
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    const list = spawnSync(process.execPath, [...base, '--list-extensions', '--show-versions'], {
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    const id = `${manifest.publisher}.${manifest.name}@${manifest.version}`;
    if (install.status !== 0 || !list.stdout.split('\n').includes(id)) {
      console.error(
        `[package] install check failed: VS Code ${codeServerVersion} did not install ${id}:\n${install.stdout}${install.stderr}`,
      );
      process.exit(1);
    }
    console.log(`[package] install check: code-server ${codeServerVersion} installed the package as ${id}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
