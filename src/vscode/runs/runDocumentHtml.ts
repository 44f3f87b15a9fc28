/**
 * The rendered run document: HTML for a webview with no scripts and a strict Content Security Policy
 * (nothing remote, styles only by nonce), theme colors through VS Code's CSS variables, and buttons that are
 * `command:` links the panel allows one by one. Pure: no `vscode` import, unit-tested under plain Node.
 */
import type { ActionRow, RunDocumentModel, ValueSection } from './runDocumentModel';

/** A button of the document: a title and a `command:` URI. */
export interface DocumentButton {
  readonly title: string;
  readonly href: string;
}

/** What the HTML needs from the panel. */
export interface RunDocumentHtmlOptions {
  /** `webview.cspSource`. */
  readonly cspSource: string;
  /** A fresh nonce for the one style element. */
  readonly nonce: string;
  readonly buttons: readonly DocumentButton[];
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const css = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); background: var(--vscode-editor-background); padding: 0 20px 24px; line-height: 1.45; }
h1 { font-size: 1.5em; margin: 16px 0 8px; }
h2 { font-size: 1.15em; margin: 20px 0 8px; border-bottom: 1px solid var(--vscode-panel-border, transparent); padding-bottom: 4px; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; border: 1px solid currentColor; }
.status.succeeded { color: var(--vscode-testing-iconPassed); }
.status.failed { color: var(--vscode-testing-iconFailed); }
.status.active { color: var(--vscode-charts-blue, var(--vscode-foreground)); }
.toolbar { display: flex; gap: 8px; flex-wrap: wrap; margin: 8px 0 12px; }
.toolbar a { color: var(--vscode-button-foreground); background: var(--vscode-button-background); padding: 4px 12px; border-radius: 2px; text-decoration: none; }
.toolbar a:hover { background: var(--vscode-button-hoverBackground); }
.toolbar a:focus-visible, a:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 2px; }
a { color: var(--vscode-textLink-foreground); }
table { border-collapse: collapse; margin: 4px 0; }
th, td { text-align: left; vertical-align: top; padding: 3px 10px 3px 0; border-bottom: 1px solid var(--vscode-editorWidget-border, transparent); }
th[scope="row"] { color: var(--vscode-descriptionForeground); font-weight: normal; white-space: nowrap; }
tr.failed td { color: var(--vscode-errorForeground); }
.error { border-left: 3px solid var(--vscode-testing-iconFailed); padding: 4px 12px; background: var(--vscode-inputValidation-errorBackground, transparent); }
.note { color: var(--vscode-descriptionForeground); font-style: italic; }
pre { background: var(--vscode-textCodeBlock-background); padding: 8px; overflow-x: auto; font-family: var(--vscode-editor-font-family); }
code { font-family: var(--vscode-editor-font-family); }
`;

function section(value: ValueSection): string {
  if (value.kind === 'json') {
    const note = value.note === undefined ? '' : `<p class="note">${escapeHtml(value.note)}</p>`;
    return `<pre><code>${escapeHtml(JSON.stringify(value.value, null, 2))}</code></pre>${note}`;
  }
  return `<p class="note">${escapeHtml(value.text)}</p>`;
}

function params(list: readonly [string, string][]): string {
  return list.length === 0
    ? ''
    : `<ul>${list.map(([k, v]) => `<li><code>${escapeHtml(k)}</code> = ${escapeHtml(v.length > 500 ? `${v.slice(0, 500)}…` : v)}</li>`).join('')}</ul>`;
}

function actionRow(a: ActionRow): string {
  return `<tr${a.failed ? ' class="failed"' : ''}><td>${escapeHtml(a.index)}</td><td>${escapeHtml(a.name)}${a.module === undefined ? '' : `<br><span class="note">${escapeHtml(a.module)}</span>`}</td><td>${escapeHtml(a.status ?? '')}</td><td>${escapeHtml(a.duration ?? '')}</td><td>${params(a.inputs)}</td><td>${params(a.outputs)}</td><td>${escapeHtml(a.error ?? '')}</td></tr>`;
}

/** The whole page. */
export function runDocumentHtml(model: RunDocumentModel, options: RunDocumentHtmlOptions): string {
  const csp = [
    "default-src 'none'",
    `style-src 'nonce-${options.nonce}'`,
    `img-src ${options.cspSource}`,
    `font-src ${options.cspSource}`,
  ].join('; ');
  const parts: string[] = [];
  parts.push(
    `<header><h1>${escapeHtml(model.title)}</h1>`,
    `<p><span class="status ${model.statusKind}" role="status">${escapeHtml(model.status)}</span>${model.live ? ' <span class="note">live: this page follows the run</span>' : ''}</p>`,
    `<nav class="toolbar" aria-label="Run actions">${options.buttons.map((b) => `<a href="${escapeHtml(b.href)}" role="button">${escapeHtml(b.title)}</a>`).join('')}</nav></header>`,
  );
  parts.push(
    '<main>',
    '<section aria-labelledby="facts"><h2 id="facts">Run</h2><table>',
    ...model.facts.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`),
    '</table></section>',
  );
  if (model.error !== undefined) {
    parts.push(
      '<section aria-labelledby="error"><h2 id="error">Error</h2><div class="error" role="note">',
      `<p><strong><code>${escapeHtml(model.error.code)}</code></strong>${model.error.message === undefined ? '' : `: ${escapeHtml(model.error.message)}`}</p>`,
      model.error.remedy === undefined
        ? ''
        : `<p><strong>${escapeHtml(model.error.remedy.title)}.</strong> ${escapeHtml(model.error.remedy.text)}</p>`,
      '</div></section>',
    );
  }
  if (model.failingAction !== undefined) {
    const a = model.failingAction;
    parts.push(
      '<section aria-labelledby="failing"><h2 id="failing">Failing action</h2>',
      `<p>Action ${escapeHtml(a.index)}: <strong>${escapeHtml(a.name)}</strong>${a.module === undefined ? '' : ` (${escapeHtml(a.module)})`}${a.error === undefined ? '' : ` — ${escapeHtml(a.error)}`}</p>`,
      '</section>',
    );
  }
  parts.push(
    `<section aria-labelledby="inputs"><h2 id="inputs">Inputs</h2>${section(model.inputs)}</section>`,
    `<section aria-labelledby="outputs"><h2 id="outputs">Outputs</h2>${section(model.outputs)}</section>`,
    '<section aria-labelledby="log"><h2 id="log">Action log</h2>',
  );
  if (model.actions.length > 0) {
    parts.push(
      '<table><thead><tr><th scope="col">#</th><th scope="col">Action</th><th scope="col">Status</th><th scope="col">Duration</th><th scope="col">Inputs</th><th scope="col">Outputs</th><th scope="col">Error</th></tr></thead><tbody>',
      ...model.actions.map(actionRow),
      '</tbody></table>',
    );
  } else {
    parts.push(`<p class="note">${escapeHtml(model.actionsNote ?? 'None.')}</p>`);
  }
  parts.push('</section>');
  if (model.logs.length > 0) {
    parts.push(
      '<section aria-labelledby="flowlogs"><h2 id="flowlogs">Flow logs</h2><table><thead><tr><th scope="col">When</th><th scope="col">Level</th><th scope="col">Log</th><th scope="col">Data</th></tr></thead><tbody>',
      ...model.logs.map(
        (l) =>
          `<tr><td>${escapeHtml(l.when ?? '')}</td><td>${escapeHtml(l.level ?? '')}</td><td>${escapeHtml(l.name)}</td><td><code>${escapeHtml(l.text)}</code></td></tr>`,
      ),
      '</tbody></table></section>',
    );
  }
  parts.push('</main>');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(model.title)}</title>
<style nonce="${options.nonce}">${css}</style>
</head>
<body>
${parts.join('\n')}
</body>
</html>
`;
}
