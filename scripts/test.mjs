// `npm test`: OS prerequisites, lint, typecheck, unit tier, conformance tier, integration tier, npm
// start smoke, in that order; stops at the first failure.
import { spawnSync } from 'node:child_process';

const steps = [
  // Chromium, ripgrep, build tools, python3, git: installed with apt-get when root or sudo allows,
  // else the exact command is printed and the run stops here, before minutes of other work.
  ['prerequisites', ['scripts/prerequisites.mjs', '--for', 'test'], process.execPath],
  ['lint', ['run', '-s', 'lint']],
  ['typecheck', ['run', '-s', 'typecheck']],
  ['unit tier', ['run', '-s', 'test:unit']],
  ['conformance tier', ['run', '-s', 'test:conformance']],
  ['integration tier', ['run', '-s', 'test:integration']],
  // Runs `npm start` as a user would, Ctrl+C included (scripts/startSmoke.mjs); not an npm script itself.
  ['npm start smoke', ['scripts/startSmoke.mjs'], process.execPath],
];
for (const [name, args, command = 'npm'] of steps) {
  const started = Date.now();
  process.stdout.write(`\n=== ${name} ===\n`);
  const r = spawnSync(command, args, { stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    process.stdout.write(`\n${name} failed after ${seconds} s (exit ${r.status ?? r.signal}).\n`);
    process.exit(r.status ?? 1);
  }
  process.stdout.write(`=== ${name} passed in ${seconds} s ===\n`);
}
