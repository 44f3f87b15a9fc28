import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

type Purpose = 'start' | 'test' | 'ci';
interface Plan {
  missing: { id: string; pkg: string; why: string; required: boolean }[];
  action: 'nothing' | 'install' | 'instruct';
  packages: string[];
  commands: string[][];
  command: string | undefined;
  blocking: boolean;
}
interface PrerequisitesModule {
  planPrerequisites(options: {
    purpose: Purpose;
    path: string;
    uid: number;
    sudoWorks: () => boolean;
    env?: Record<string, string | undefined>;
    hostInstalled?: boolean;
  }): Plan;
}

const tools = ['chromium', 'rg', 'g++', 'make', 'python3', 'git'] as const;
const packageOf: Record<(typeof tools)[number], string> = {
  chromium: 'chromium',
  rg: 'ripgrep',
  'g++': 'build-essential',
  make: 'build-essential',
  python3: 'python3',
  git: 'git',
};
/** What `npm start` can open the workbench without. */
const secondary = new Set(['chromium', 'rg', 'git']);

describe('scripts/prerequisites.mjs: the plan for a PATH that lacks each tool', () => {
  let mod: PrerequisitesModule;
  let root: string;

  /** A PATH folder of links (to node, an executable that certainly exists) for `present`. */
  function binDir(name: string, present: readonly string[]): string {
    const dir = path.join(root, name);
    mkdirSync(dir);
    for (const tool of present) {
      symlinkSync(process.execPath, path.join(dir, tool));
    }
    return dir;
  }

  before(async () => {
    const url = pathToFileURL(path.resolve(__dirname, '../../../scripts/prerequisites.mjs')).href;
    mod = (await import(url)) as PrerequisitesModule;
    root = mkdtempSync(path.join(tmpdir(), 'prereq-test-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('plans nothing when every tool is on PATH, whoever runs it', () => {
    const dir = binDir('all', [...tools, 'apt-get']);
    for (const uid of [0, 1000]) {
      const plan = mod.planPrerequisites({
        purpose: 'test',
        path: dir,
        uid,
        sudoWorks: () => assert.fail('sudo must not be probed when nothing is missing'),
      });
      assert.equal(plan.action, 'nothing');
      assert.deepEqual(plan.missing, []);
      assert.deepEqual(plan.commands, []);
    }
  });

  for (const lacking of tools) {
    const pkg = packageOf[lacking];
    describe(`without ${lacking}`, () => {
      let dir: string;
      before(() => {
        dir = binDir(`no-${lacking}`, [...tools.filter((t) => t !== lacking), 'apt-get']);
      });

      it(`as root: apt-get update once, then apt-get install ${pkg}`, () => {
        let probed = false;
        const plan = mod.planPrerequisites({
          purpose: 'test',
          path: dir,
          uid: 0,
          sudoWorks: () => (probed = true),
        });
        assert.equal(plan.action, 'install');
        assert.deepEqual(plan.packages, [pkg]);
        assert.deepEqual(plan.commands, [
          ['apt-get', 'update', '-qq'],
          ['apt-get', 'install', '-y', '-qq', pkg],
        ]);
        assert.equal(probed, false, 'root needs no sudo');
      });

      it(`as a user with passwordless sudo: the same through sudo -n`, () => {
        const plan = mod.planPrerequisites({ purpose: 'test', path: dir, uid: 1000, sudoWorks: () => true });
        assert.equal(plan.action, 'install');
        assert.deepEqual(plan.commands, [
          ['sudo', '-n', 'apt-get', 'update', '-qq'],
          ['sudo', '-n', 'apt-get', 'install', '-y', '-qq', pkg],
        ]);
      });

      it('as a user without sudo: the exact command, and tests cannot go on', () => {
        const plan = mod.planPrerequisites({ purpose: 'test', path: dir, uid: 1000, sudoWorks: () => false });
        assert.equal(plan.action, 'instruct');
        assert.deepEqual(plan.commands, []);
        assert.equal(plan.command, `sudo apt-get update && sudo apt-get install -y ${pkg}`);
        assert.equal(plan.blocking, true);
      });

      const startBlocks = !secondary.has(lacking);
      it(`as a user without sudo, npm start ${startBlocks ? 'stops' : 'goes on without it'}`, () => {
        const plan = mod.planPrerequisites({
          purpose: 'start',
          path: dir,
          uid: 1000,
          sudoWorks: () => false,
        });
        assert.equal(plan.action, 'instruct');
        assert.equal(plan.blocking, startBlocks);
        assert.equal(plan.missing[0]?.required, startBlocks);
      });
    });
  }

  it('npm start needs no compiler once the host is built; the tests still ask for one', () => {
    const dir = binDir('host-built', ['chromium', 'rg', 'git', 'apt-get']);
    const start = mod.planPrerequisites({
      purpose: 'start',
      path: dir,
      uid: 1000,
      sudoWorks: () => false,
      hostInstalled: true,
    });
    assert.deepEqual(start.packages, ['build-essential', 'python3']);
    assert.equal(start.blocking, false);
    const test = mod.planPrerequisites({
      purpose: 'test',
      path: dir,
      uid: 1000,
      sudoWorks: () => false,
      hostInstalled: true,
    });
    assert.equal(test.blocking, true);
  });

  it('finds chromium-browser (Ubuntu) and CHROMIUM_PATH as well as chromium', () => {
    const ubuntu = binDir('ubuntu', [
      ...tools.filter((t) => t !== 'chromium'),
      'chromium-browser',
      'apt-get',
    ]);
    assert.equal(
      mod.planPrerequisites({ purpose: 'ci', path: ubuntu, uid: 0, sudoWorks: () => false }).action,
      'nothing',
    );
    const noChromium = binDir('env-chromium', [...tools.filter((t) => t !== 'chromium'), 'apt-get']);
    const plan = mod.planPrerequisites({
      purpose: 'ci',
      path: noChromium,
      uid: 0,
      sudoWorks: () => false,
      env: { CHROMIUM_PATH: process.execPath },
    });
    assert.equal(plan.action, 'nothing');
  });

  it('installs every missing package in one apt-get install (build-essential once)', () => {
    const dir = binDir('bare', ['apt-get']);
    const plan = mod.planPrerequisites({ purpose: 'ci', path: dir, uid: 0, sudoWorks: () => false });
    assert.deepEqual(plan.commands, [
      ['apt-get', 'update', '-qq'],
      ['apt-get', 'install', '-y', '-qq', 'chromium', 'ripgrep', 'build-essential', 'python3', 'git'],
    ]);
  });

  it('without apt-get (not Debian): names what to install by hand, even as root', () => {
    const dir = binDir(
      'no-apt',
      tools.filter((t) => t !== 'rg'),
    );
    const plan = mod.planPrerequisites({ purpose: 'test', path: dir, uid: 0, sudoWorks: () => true });
    assert.equal(plan.action, 'instruct');
    assert.deepEqual(plan.commands, []);
    assert.match(plan.command ?? '', /ripgrep \(rg\) \(Debian: ripgrep\)/);
  });
});
