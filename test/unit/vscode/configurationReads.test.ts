import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/**
 * One configuration service (issue 17): settings are read, written and listened to only in
 * src/vscode/configuration.ts; everything else asks `ConfigurationService` (typed, normalised, one listener).
 */
describe('configuration: one service reads the settings', () => {
  it('no product file but src/vscode/configuration.ts reads, writes or listens to settings', () => {
    const offenders = sources(join(root, 'src'))
      .map((path) => relative(root, path).replace(/\\/g, '/'))
      .filter((path) => path !== 'src/vscode/configuration.ts')
      .filter((path) =>
        /\b(getConfiguration|onDidChangeConfiguration|readConfig)\s*\(/.test(
          readFileSync(join(root, path), 'utf8'),
        ),
      );
    assert.deepEqual(offenders, []);
  });
});
