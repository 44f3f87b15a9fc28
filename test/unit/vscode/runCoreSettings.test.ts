import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseConfig, settingIds } from '../../../src/vscode/configurationValues';
import { runCoreSettings } from '../../../src/vscode/runs/runCoreSettings';

const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default: unknown }> }[] };
};
const declared: Record<string, { default: unknown }> = {};
for (const section of [manifest.contributes.configuration].flat()) {
  Object.assign(declared, section.properties);
}

/** What the runs controller hands the core when settings.json holds only `values`. */
function coreSettings(values: Record<string, unknown> = {}): ReturnType<typeof runCoreSettings> {
  return runCoreSettings(
    normaliseConfig((id) => ({
      value: id in values ? values[id] : declared[id]?.default,
      defaultValue: declared[id]?.default,
    })),
  );
}

describe('runs: what the extension passes the runs core from its settings', () => {
  const resend = settingIds.resendWhenUncertain;

  it('passes desktopFlows.runs.resendWhenUncertain through as set: false never resends, true does', () => {
    assert.equal(resend, 'desktopFlows.runs.resendWhenUncertain');
    assert.equal(coreSettings({ [resend]: false }).resendWhenUncertain, false);
    assert.equal(coreSettings({ [resend]: true }).resendWhenUncertain, true);
  });

  it('resends by default (package.json), and a hand-edited non-boolean value falls back to that default', () => {
    assert.equal(declared[resend]?.default, true);
    assert.equal(coreSettings().resendWhenUncertain, true);
    assert.equal(coreSettings({ [resend]: 'false' }).resendWhenUncertain, true);
  });

  it('turns the poll interval seconds into milliseconds, the maximum never below the minimum', () => {
    const { poll } = coreSettings({
      [settingIds.pollIntervalMinSeconds]: 10,
      [settingIds.pollIntervalMaxSeconds]: 5,
    });
    assert.deepEqual(poll, { minMs: 10_000, maxMs: 10_000 });
  });
});
