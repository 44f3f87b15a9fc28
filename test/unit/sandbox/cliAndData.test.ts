import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SandboxDataError, validateSandboxData } from '../../../src/sandbox/dataFile';
import { parseArgs } from '../../../src/sandbox/cliOptions';
import { defaultSeed, seedIds, seedNames } from '../../../src/sandbox/seed';
import type { SandboxData } from '../../../src/sandbox/seedTypes';
import { startHarness } from './sandboxHarness';

function customData(): SandboxData {
  const data = defaultSeed();
  const dev = data.environments[0];
  assert.ok(dev);
  dev.licenseCheck = 'UnattendedNoAddon';
  dev.chinaCloud = true;
  data.environments = [dev];
  return data;
}

describe('sandbox: --data files', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sandbox-data-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves a data file: its environments, China flag and licenseCheck scenario', async () => {
    const file = join(dir, 'data.json');
    writeFileSync(file, JSON.stringify(customData()));
    const h = await startHarness({ dataFile: file });
    try {
      const d = h.sandbox.describe();
      assert.deepEqual(
        d.environments.map((e) => [e.name, e.inputLimitBytes]),
        [['contoso-dev', 1024 * 1024]],
      );
      const r = await h.dv(`workflows(${seedIds.flows.quickPing})/Microsoft.Dynamics.CRM.RunDesktopFlow`, {
        body: { runMode: 'unattended', connectionName: seedNames.connections.makerMachine },
      });
      assert.equal(r.status, 200);
      assert.equal((r.json.licenseCheck as { code: string }).code, 'UnattendedNoAddon');
      assert.match((r.json.licenseCheck as { message: string }).message, /Invalid License Coverage/);
    } finally {
      await h.close();
    }
  });

  it('names the offending path of an invalid data file', () => {
    const bad = customData() as unknown as { environments: Record<string, unknown>[] };
    (bad.environments[0] as Record<string, unknown>).organizationId = 'not-a-guid';
    assert.throws(
      () => validateSandboxData(bad),
      (e: unknown) => e instanceof SandboxDataError && /environments\[0\]\.organizationId/.test(e.message),
    );
    const orphan = customData();
    (orphan.environments[0]?.machines[0] as { groupId: string }).groupId =
      '00000000-0000-4000-8000-000000000000';
    assert.throws(() => validateSandboxData(orphan), /machines\[0\]\.groupId/);
    assert.throws(() => validateSandboxData([]), SandboxDataError);
  });
});

describe('sandbox: command line', () => {
  it('parses options', () => {
    assert.deepEqual(
      parseArgs(['--port', '5000', '--speed=20', '--data', 'x.json', '--no-identity']).options,
      {
        port: 5000,
        speed: 20,
        dataFile: 'x.json',
        identity: false,
      },
    );
    assert.throws(() => parseArgs(['--speed', '0']));
    assert.throws(() => parseArgs(['--port', 'abc']));
    assert.throws(() => parseArgs(['--colour']));
  });

  it('prints "Sandbox listening on <url>" first, serves, and stops on SIGINT', async function () {
    this.timeout(30_000);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/sandbox/main.ts', '--port', '0', '--speed', '5', '--no-identity'],
      {
        cwd: join(__dirname, '../../..'),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        child.once('exit', (code) => reject(new Error(`exited early with ${String(code)}`)));
      });
      const m = /^Sandbox listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first);
      assert.ok(m, first);
      const d = (await (await fetch(`${m[1] as string}/_sandbox`)).json()) as { clock: { speed: number } };
      assert.equal(d.clock.speed, 5);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
      }
    }
  });
});
