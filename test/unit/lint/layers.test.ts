/**
 * The folder boundaries of docs/architecture.md are ESLint rules (eslint.config.mjs). Each case below is a
 * small file that breaks one boundary, linted as if it lived at `path` with the configuration ESLint
 * computes for that path; each must be reported, so a rule cannot silently stop working. Files that keep
 * to the rules pass, so a rule cannot silently grow either.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const root = path.resolve(__dirname, '../../..');

interface Case {
  /** Where the file pretends to live. */
  readonly path: string;
  readonly code: string;
}

const breaking: readonly Case[] = [
  { path: 'src/core/a.ts', code: "import * as vscode from 'vscode';" },
  { path: 'src/core/runs/a.ts', code: "import { x } from '../../vscode/runs/runStarter';" },
  { path: 'src/core/a.ts', code: "import { x } from '../cli/cliErrors';" },
  { path: 'src/core/api/a.ts', code: "import { x } from '../../sandbox/seed';" },
  { path: 'src/core/a.ts', code: "import { activate } from '../extension';" },
  { path: 'src/core/runs/a.ts', code: "import { Agent } from 'undici';" },
  { path: 'src/core/api/a.ts', code: "import { PublicClientApplication } from '@azure/msal-node';" },
  { path: 'src/core/http/a.ts', code: "import { PublicClientApplication } from '@azure/msal-node';" },
  { path: 'src/core/auth/a.ts', code: "import { Agent } from 'undici';" },
  { path: 'src/vscode/accounts/a.ts', code: "import { startSandbox } from '../../sandbox/server';" },
  { path: 'src/vscode/a.ts', code: "import { x } from '../cli/cliErrors';" },
  { path: 'src/vscode/tree/a.ts', code: "import { Agent } from 'undici';" },
  { path: 'src/extension.ts', code: "import { startSandbox } from './sandbox/server';" },
  { path: 'src/extensionFeatures.ts', code: "import { startSandbox } from './sandbox/server';" },
  { path: 'src/cli/a.ts', code: "import { registerFeatures } from '../extensionFeatures';" },
  { path: 'src/sandbox/a.ts', code: "import * as vscode from 'vscode';" },
  { path: 'src/sandbox/identity/a.ts', code: "import { x } from '../../vscode/configuration';" },
  { path: 'src/sandbox/a.ts', code: "import { x } from '../cli/cliErrors';" },
  { path: 'src/sandbox/a.ts', code: "import { HttpClient } from '../core/http/httpClient';" },
  { path: 'src/sandbox/identity/a.ts', code: "import { x } from '../../core/inputs/inputFileAnalysis';" },
  { path: 'src/cli/a.ts', code: "import * as vscode from 'vscode';" },
  { path: 'src/cli/commands/a.ts', code: "import { x } from '../../vscode/configuration';" },
  { path: 'src/cli/a.ts', code: "import { Agent } from 'undici';" },
  { path: 'src/cli/commands/a.ts', code: "import { startSandbox } from '../../sandbox/server';" },
  { path: 'test/unit/a.test.ts', code: "import * as vscode from 'vscode';" },
];

const keeping: readonly Case[] = [
  { path: 'src/core/http/a.ts', code: "import { Agent } from 'undici';" },
  { path: 'src/core/auth/a.ts', code: "import type { INetworkModule } from '@azure/msal-node';" },
  { path: 'src/core/runs/a.ts', code: "import { x } from '../http/httpClient';" },
  { path: 'src/vscode/a.ts', code: "import * as vscode from 'vscode';\nimport { x } from '../core/errors';" },
  { path: 'src/sandbox/a.ts', code: "import { silentLogger } from '../core/logger';" },
  { path: 'src/sandbox/identity/a.ts', code: "import { secretMasker } from '../../core/util/secretMasker';" },
  { path: 'src/sandbox/a.ts', code: "import { Emitter } from '../core/util/events';" },
  { path: 'test/unit/a.test.ts', code: "import { MockAgent } from 'undici';" },
];

describe('layer boundaries (ESLint no-restricted-imports)', function () {
  this.timeout(60_000);
  const project = new ESLint({ cwd: root });

  /** Lint `code` at `file` with only the boundary rule, configured exactly as for that path. */
  async function boundaryMessages(
    file: string,
    code: string,
    ruleId = 'no-restricted-imports',
  ): Promise<Linter.LintMessage[]> {
    const config = (await project.calculateConfigForFile(file)) as Linter.Config;
    const rule = config.rules?.[ruleId];
    assert.ok(rule !== undefined, `no ${ruleId} rule applies to ${file}`);
    const eslint = new ESLint({
      cwd: root,
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ['**/*.ts'],
          languageOptions: { parser: tseslint.parser },
          rules: { [ruleId]: rule },
        },
      ],
    });
    const [result] = await eslint.lintText(`${code}\nexport const used = 1;\n`, {
      filePath: path.join(root, file),
    });
    assert.ok(result !== undefined);
    assert.deepEqual(
      result.messages.filter((m) => m.fatal === true),
      [],
      'the fixture parses',
    );
    return result.messages.filter((m) => m.ruleId === ruleId);
  }

  // Not a boundary, but a rule of the same kind: issue 13 found parsed input files kept alive by the
  // hidden classes V8 makes for object literals with getters.
  it('reports a getter or setter in an object literal in src/core, not in a class', async () => {
    const literal = 'export const span = { get offset() { return 1; }, set length(v: number) { void v; } };';
    const messages = await boundaryMessages('src/core/inputs/a.ts', literal, 'no-restricted-syntax');
    assert.equal(messages.length, 2);
    assert.match(messages[0]?.message ?? '', /use a class with the accessor on its prototype/);
    const inClass = 'export class Span { get offset(): number { return 1; } }';
    assert.deepEqual(await boundaryMessages('src/core/inputs/a.ts', inClass, 'no-restricted-syntax'), []);
  });

  for (const c of breaking) {
    it(`reports ${c.code} in ${c.path}`, async () => {
      const messages = await boundaryMessages(c.path, c.code);
      assert.equal(messages.length, 1, `not reported: ${c.code} in ${c.path}`);
      // The message says which boundary was crossed.
      assert.match(messages[0]?.message ?? '', /never import|Only src\/core|takes from src\/core only/);
    });
  }

  for (const c of keeping) {
    it(`allows ${c.code.split('\n').pop() ?? ''} in ${c.path}`, async () => {
      assert.deepEqual(
        (await boundaryMessages(c.path, c.code)).map((m) => m.message),
        [],
      );
    });
  }
});
