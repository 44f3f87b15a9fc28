import * as vscode from 'vscode';

/** A markdown tooltip: a title line and a two-column table of the facts that are known. */
export function factsTooltip(
  title: string,
  facts: [string, string | undefined][],
  footer?: string,
): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escape(title)}**\n\n`);
  const rows = facts.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '');
  if (rows.length > 0) {
    md.appendMarkdown('| | |\n|---|---|\n');
    for (const [k, v] of rows) {
      md.appendMarkdown(`| ${escape(k)} | ${escape(v)} |\n`);
    }
  }
  if (footer) {
    md.appendMarkdown(`\n${footer}`);
  }
  return md;
}

/** A timestamp in the user's locale, or undefined. */
export function formatWhen(iso: string | undefined): string | undefined {
  if (!iso) {
    return undefined;
  }
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

function escape(text: string): string {
  return text.replace(/[|\\`*_{}[\]<>#]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}
