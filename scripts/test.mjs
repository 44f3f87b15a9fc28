// `npm test`: lint, typecheck, unit tier, integration tier, in that order; stops at the first failure.
import { spawnSync } from 'node:child_process';

const steps = [
  ['lint', ['run', '-s', 'lint']],
  ['typecheck', ['run', '-s', 'typecheck']],
  ['unit tier', ['run', '-s', 'test:unit']],
  ['integration tier', ['run', '-s', 'test:integration']],
];
for (const [name, args] of steps) {
  const started = Date.now();
  process.stdout.write(`\n=== ${name} ===\n`);
  const r = spawnSync('npm', args, { stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    process.stdout.write(`\n${name} failed after ${seconds} s (exit ${r.status ?? r.signal}).\n`);
    process.exit(r.status ?? 1);
  }
  process.stdout.write(`=== ${name} passed in ${seconds} s ===\n`);
}
