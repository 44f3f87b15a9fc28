/**
 * The README's generated sections (settings, commands, troubleshooting), built from the code that they
 * describe so the README cannot drift: `npm run docs` rewrites them, and a unit test fails when they differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { commandList } from '../src/cli/commandList';
import { knownErrorCodes, remedyFor } from '../src/core/runs/remedies';

interface Manifest {
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    menus: { commandPalette: { command: string; when: string }[] };
    configuration: {
      title: string;
      properties: Record<string, { default?: unknown; markdownDescription?: string; enum?: string[] }>;
    }[];
  };
}

const root = path.join(__dirname, '..');

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function settingsTable(m: Manifest): string {
  const rows = ['| Setting | Default | What it does |', '| --- | --- | --- |'];
  for (const section of m.contributes.configuration) {
    for (const [key, s] of Object.entries(section.properties)) {
      const def = s.default === '' ? '(empty)' : `\`${JSON.stringify(s.default)}\``;
      const values = s.enum ? ` One of: ${s.enum.map((v) => `\`${v}\``).join(', ')}.` : '';
      rows.push(
        `| \`${key}\` | ${def} | ${cell((s.markdownDescription ?? '').replace(/`#([\w.]+)#`/g, '`$1`'))}${values} |`,
      );
    }
  }
  return rows.join('\n');
}

function commandsTable(m: Manifest): string {
  const hidden = new Set(
    m.contributes.menus.commandPalette.filter((c) => c.when === 'false').map((c) => c.command),
  );
  const rows = ['| Command | Id | Where |', '| --- | --- | --- |'];
  for (const c of m.contributes.commands) {
    rows.push(
      `| ${c.category ? `${c.category}: ` : ''}${c.title} | \`${c.command}\` | ${hidden.has(c.command) ? 'tree' : 'palette, tree'} |`,
    );
  }
  return rows.join('\n');
}

function troubleshootingTable(): string {
  const rows = ['| Error code | What happened | What to do |', '| --- | --- | --- |'];
  for (const code of knownErrorCodes()) {
    const r = remedyFor(code);
    if (r) {
      rows.push(`| \`${code}\` | ${cell(r.title)} | ${cell(r.remedy)} |`);
    }
  }
  return rows.join('\n');
}

function cliTable(): string {
  const rows = ['| Command | What it does | Example |', '| --- | --- | --- |'];
  for (const c of commandList) {
    const args = c.positionals.map((p) => `<${p.name}>`).join(' ');
    const example = c.examples[0];
    rows.push(
      `| \`desktop-flows ${c.name}${args ? ` ${args}` : ''}\` | ${cell(c.summary)} | ${example ? `\`${cell(example)}\`` : ''} |`,
    );
  }
  return rows.join('\n');
}

/** Each generated section by marker name. */
export function readmeSections(): Record<string, string> {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
  return {
    settings: settingsTable(manifest),
    commands: commandsTable(manifest),
    troubleshooting: troubleshootingTable(),
    cli: cliTable(),
  };
}

/** The README with every `<!-- generated:NAME -->…<!-- /generated:NAME -->` block refreshed. */
export function renderReadme(current: string): string {
  let out = current;
  for (const [name, body] of Object.entries(readmeSections())) {
    const pattern = new RegExp(`(<!-- generated:${name} -->)[\\s\\S]*?(<!-- /generated:${name} -->)`);
    if (!pattern.test(out)) {
      throw new Error(`README.md has no generated:${name} block`);
    }
    out = out.replace(pattern, (_m, open: string, close: string) => `${open}\n${body}\n${close}`);
  }
  return out;
}

if (require.main === module) {
  const file = path.join(root, 'README.md');
  writeFileSync(file, renderReadme(readFileSync(file, 'utf8')));
  process.stdout.write('README.md generated sections updated\n');
}
