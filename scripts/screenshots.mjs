// @ts-check
// Regenerates the README screenshots (docs/images/*.png) from the real VS Code host: the offline
// code-server host in headless Chromium, 1400×900, default dark theme. Not part of any test tier:
// the integration harness loads test/screenshots/readmeScreenshots.ts (bundled by esbuild.mjs) in
// place of the mocha bootstrap, and that module drives the UI against an in-process sandbox.
//
//   node scripts/screenshots.mjs [--out <dir>] [--only testExplorer,…] [--show-log] [--no-build]   (npm run screenshots)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    out: { type: 'string', default: path.join(repoRoot, 'docs', 'images') },
    'show-log': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    // Comma-separated names of test/screenshots/readmeScreenshots.ts `screenshotFiles` (default: all).
    only: { type: 'string', default: '' },
  },
  strict: true,
});

const out = path.resolve(opt.out);
mkdirSync(out, { recursive: true });
const started = Date.now();
const args = [
  path.join(repoRoot, 'scripts', 'integration.mjs'),
  '--host',
  'code-server',
  '--entry',
  path.join(repoRoot, 'dist', 'test', 'screenshots', 'readmeScreenshots.js'),
  '--workspace-name',
  'contoso-automation',
  '--env',
  `DESKTOPFLOWS_SCREENSHOT_DIR=${out}`,
  ...(opt.only === '' ? [] : ['--env', `DESKTOPFLOWS_SCREENSHOT_ONLY=${opt.only}`]),
  '--timeout',
  '480',
  ...(opt['show-log'] ? ['--show-log'] : []),
  ...(opt['no-build'] ? ['--no-build'] : []),
];
const r = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: 'inherit' });
const code = r.status ?? 1;
if (code === 0) {
  const pngs = readdirSync(out).filter((f) => f.endsWith('.png'));
  for (const f of pngs) {
    const file = path.join(out, f);
    if (statSync(file).mtimeMs >= started) {
      console.log(
        `[screenshots] ${path.relative(repoRoot, file)}  ${Math.round(statSync(file).size / 1024)} KB`,
      );
    }
  }
}
process.exit(code);
