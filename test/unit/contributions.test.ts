import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
// The command id list is plain data (no vscode import), so the unit tier can read it.
import { schemaUriScheme } from '../../src/core/inputs/schemaUri';
import { commandIds } from '../../src/vscode/commandIds';
import {
  readinessGoneText,
  readinessScheme,
  whyWaitingGoneText,
  whyWaitingScheme,
} from '../../src/vscode/readiness/readinessDocumentSchemes';
import { runDocumentScheme } from '../../src/vscode/runs/runDocumentScheme';

interface Manifest {
  activationEvents: string[];
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    menus: Record<string, { command: string }[]>;
    configuration: {
      title: string;
      properties: Record<string, { markdownDescription?: string; description?: string }>;
    }[];
    viewsWelcome: { contents: string }[];
    walkthroughs: { steps: { description: string }[] }[];
  };
}

const manifest = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as Manifest;

describe('package.json contributions', () => {
  const declared = manifest.contributes.commands.map((c) => c.command);
  const inCode = Object.values(commandIds);

  it('declares exactly the commands listed in commandIds.ts', () => {
    assert.deepEqual([...declared].sort(), [...inCode].sort());
  });

  it('gives every command the "Desktop Flows" category and a desktopFlows.<area>.<verb> id', () => {
    for (const c of manifest.contributes.commands) {
      assert.equal(c.category, 'Desktop Flows', c.command);
      assert.match(c.command, /^desktopFlows\.[a-z][A-Za-z]*\.[a-z][A-Za-z]*$/, c.command);
    }
  });

  it('only references declared commands in menus, welcome views and walkthroughs', () => {
    for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
      for (const item of items) {
        assert.ok(declared.includes(item.command), `${menu}: ${item.command}`);
      }
    }
    const texts = [
      ...manifest.contributes.viewsWelcome.map((v) => v.contents),
      ...manifest.contributes.walkthroughs.flatMap((w) => w.steps.map((s) => s.description)),
    ];
    for (const text of texts) {
      for (const m of text.matchAll(/command:([\w.]+)/g)) {
        assert.ok(declared.includes(m[1] ?? ''), m[1]);
      }
    }
  });

  it('describes every setting with markdown and keeps it under desktopFlows.*', () => {
    for (const section of manifest.contributes.configuration) {
      for (const [key, schema] of Object.entries(section.properties)) {
        assert.match(key, /^desktopFlows\./);
        assert.ok(schema.markdownDescription, `${key} has a markdownDescription`);
      }
    }
  });

  it('activates for every document scheme that has a stand-in, so editors restored after a reload open', () => {
    // Restored editors ask for their documents before onStartupFinished: without the event VS Code finds no
    // file system (or content provider) for the scheme and the editor shows an error.
    for (const scheme of [schemaUriScheme, runDocumentScheme, whyWaitingScheme, readinessScheme]) {
      assert.ok(manifest.activationEvents.includes(`onFileSystem:${scheme}`), scheme);
    }
  });

  it('names the command to run again, as the palette shows it, in a restored waiting or check document', () => {
    const title = (id: string): string => {
      const c = manifest.contributes.commands.find((command) => command.command === id);
      assert.ok(c, id);
      return `${c.category ?? ''}: ${c.title}`;
    };
    assert.ok(whyWaitingGoneText.includes(`Run **${title(commandIds.whyWaiting)}**`), whyWaitingGoneText);
    assert.ok(readinessGoneText.includes(`Run **${title(commandIds.checkBeforeRun)}**`), readinessGoneText);
  });
});
