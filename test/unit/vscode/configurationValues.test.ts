import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  inputsFolderSegments,
  normaliseConfig,
  settingIds,
  type DesktopFlowsConfig,
} from '../../../src/vscode/configurationValues';

interface Declared {
  type: string;
  default: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
}

const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as {
  contributes: {
    configuration: { properties: Record<string, Declared> }[] | { properties: Record<string, Declared> };
  };
};
const declared: Record<string, Declared> = {};
for (const section of [manifest.contributes.configuration].flat()) {
  Object.assign(declared, section.properties);
}

/** Settings as a user with only `values` in settings.json has them (package.json defaults elsewhere). */
function settings(values: Record<string, unknown> = {}): DesktopFlowsConfig {
  return normaliseConfig((id) => ({
    value: id in values ? values[id] : declared[id]?.default,
    defaultValue: declared[id]?.default,
  }));
}

describe('configuration: typed, normalised settings', () => {
  it('every field maps to a setting declared in package.json (or VS Code’s own http and json settings)', () => {
    for (const id of Object.values(settingIds)) {
      assert.ok(/^(http|json)\./.test(id) || declared[id] !== undefined, `${id} is declared`);
    }
  });

  it('takes JSON validation as on unless it is turned off (also when the JSON extension declares no default)', () => {
    assert.equal(settings().jsonValidate, true);
    assert.equal(settings({ 'json.validate.enable': true }).jsonValidate, true);
    assert.equal(settings({ 'json.validate.enable': false }).jsonValidate, false);
    assert.equal(settings({ 'json.validate.enable': 'no' }).jsonValidate, true);
  });

  it('gives the package.json defaults when nothing is set', () => {
    const c = settings();
    assert.equal(c.cloud, declared['desktopFlows.cloud']?.default);
    assert.equal(c.pageSize, declared['desktopFlows.explorer.pageSize']?.default);
    assert.equal(c.notifyOnCompletion, declared['desktopFlows.runs.notifyOnCompletion']?.default);
    assert.equal(c.tenant, 'organizations');
    assert.equal(c.httpProxy, '');
    assert.deepEqual(c.httpNoProxy, []);
  });

  it('clamps numbers to the range package.json declares, and rounds integers', () => {
    for (const [field, id] of Object.entries(settingIds) as [keyof DesktopFlowsConfig, string][]) {
      const d = declared[id];
      if (d?.minimum === undefined || d.maximum === undefined) {
        continue;
      }
      assert.equal(settings({ [id]: d.minimum - 1000 })[field], d.minimum, `${id} below its minimum`);
      if (field !== 'pollIntervalMaxSeconds') {
        assert.equal(settings({ [id]: d.maximum + 1000 })[field], d.maximum, `${id} above its maximum`);
      }
      assert.equal(settings({ [id]: 'fast' })[field], d.default, `${id} of the wrong type`);
    }
    assert.equal(settings({ 'desktopFlows.explorer.pageSize': 250.4 }).pageSize, 250);
  });

  it('falls back to the default for a value outside an enum, and trims strings', () => {
    for (const [field, id] of Object.entries(settingIds) as [keyof DesktopFlowsConfig, string][]) {
      const d = declared[id];
      if (d?.enum === undefined) {
        continue;
      }
      assert.equal(settings({ [id]: 'Sometimes' })[field], d.default, `${id} outside its enum`);
      assert.equal(settings({ [id]: ` ${String(d.enum[0])} ` })[field], d.enum[0], `${id} with spaces`);
    }
    assert.equal(
      settings({ 'desktopFlows.defaultEnvironment': '  contoso-dev ' }).defaultEnvironment,
      'contoso-dev',
    );
    assert.equal(settings({ 'desktopFlows.auth.tenant': '  ' }).tenant, 'organizations');
  });

  it('drops the trailing slash of the sandbox URL', () => {
    assert.equal(
      settings({ 'desktopFlows.sandbox.url': 'http://127.0.0.1:7070//' }).sandboxUrl,
      'http://127.0.0.1:7070',
    );
  });

  it('never polls slower at first than at most', () => {
    const c = settings({
      'desktopFlows.runs.pollIntervalMinSeconds': 40,
      'desktopFlows.runs.pollIntervalMaxSeconds': 10,
    });
    assert.equal(c.pollIntervalMinSeconds, 40);
    assert.equal(c.pollIntervalMaxSeconds, 40);
  });

  it('keeps only host names in http.noProxy', () => {
    assert.deepEqual(settings({ 'http.noProxy': [' localhost ', '', 3, '*.contoso.com'] }).httpNoProxy, [
      'localhost',
      '*.contoso.com',
    ]);
  });

  it('splits the inputs folder into segments that stay inside the workspace folder', () => {
    assert.deepEqual(inputsFolderSegments('.desktopflows/inputs\\mine/'), [
      '.desktopflows',
      'inputs',
      'mine',
    ]);
    assert.deepEqual(inputsFolderSegments('../outside/./x'), ['outside', 'x']);
    assert.deepEqual(inputsFolderSegments(undefined), []);
  });
});
