import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { seedEnvironmentNames, seedNames } from '../../../src/sandbox/seed';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server';

const root = path.resolve(__dirname, '../../..');

/** Runs the real entry point (src/cli/main.ts under tsx) as its own process. */
function spawnCli(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill(), 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('desktop-flows CLI: the executable', () => {
  let sandbox: Sandbox;

  before(async () => {
    sandbox = await startSandbox({ port: 0, speed: 200, identity: false });
  });

  after(async () => {
    await sandbox.stop();
  });

  it('runs a flow end to end as a process: JSON on stdout, progress on stderr, exit code 0', async () => {
    const orgUrl = sandbox.orgUrl(seedEnvironmentNames.dev);
    const r = await spawnCli(
      [
        'run',
        'Echo Text',
        '--env',
        orgUrl,
        '--connection',
        seedNames.connections.makerMachine,
        '--mode',
        'attended',
        '--wait',
        '--poll-interval',
        '0.05',
        '--json',
      ],
      { DESKTOPFLOWS_SANDBOX_URL: sandbox.url, DESKTOPFLOWS_TOKEN: sandbox.token(orgUrl) },
    );
    assert.equal(r.code, 0, r.stderr);
    const state = JSON.parse(r.stdout) as { status: string; flowName: string };
    assert.deepEqual([state.status, state.flowName], ['succeeded', 'Echo Text']);
    assert.match(r.stderr, /"Echo Text" run [0-9a-f]{8} succeeded/);
  });
});
