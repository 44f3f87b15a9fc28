/**
 * JUnit XML for flow test results, the shape CI systems read (Jenkins, GitLab, Azure Pipelines, GitHub
 * actions that publish test reports): one `testsuite` per run of the command, one `testcase` per test file,
 * `failure` with the expected and actual values for a failed test, `error` for a test the service could not
 * run, `skipped` for a cancelled one. Text is escaped for XML 1.0 (characters XML cannot hold are dropped).
 */
import { firstProblem, type FlowTestResult } from './flowTestRunner';

/** Escapes text for an XML attribute or element (and drops characters XML 1.0 does not allow). */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** The JUnit XML document of a set of results. `fileLabel` turns a test file's path into what CI shows. */
export function junitXml(
  results: readonly FlowTestResult[],
  options: {
    readonly suiteName?: string;
    readonly timestamp?: Date;
    readonly fileLabel?: (file: string) => string;
  } = {},
): string {
  const label = options.fileLabel ?? ((f: string) => f);
  const count = (o: FlowTestResult['outcome']): number => results.filter((r) => r.outcome === o).length;
  const total = results.reduce((s, r) => s + r.durationMs, 0);
  const suite = xmlEscape(options.suiteName ?? 'Desktop flow tests');
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${suite}" tests="${results.length}" failures="${count('failed')}" errors="${count('errored')}" skipped="${count('cancelled')}" time="${seconds(total)}">`,
    `  <testsuite name="${suite}" tests="${results.length}" failures="${count('failed')}" errors="${count('errored')}" skipped="${count('cancelled')}" time="${seconds(total)}" timestamp="${(options.timestamp ?? new Date()).toISOString()}">`,
  ];
  for (const r of results) {
    const file = label(r.test.file);
    const open = `    <testcase name="${xmlEscape(r.test.name)}" classname="${xmlEscape(r.test.flow)}" file="${xmlEscape(file)}" time="${seconds(r.durationMs)}"`;
    const about = [
      ...(r.runId === undefined ? [] : [`Run: ${r.runId}`]),
      ...(r.status === undefined
        ? []
        : [`Status: ${r.status}${r.errorCode === undefined ? '' : ` (${r.errorCode})`}`]),
      ...(r.errorMessage === undefined ? [] : [`Error: ${r.errorMessage}`]),
    ];
    if (r.outcome === 'passed') {
      lines.push(`${open} />`);
      continue;
    }
    lines.push(`${open}>`);
    const message = xmlEscape(firstProblem(r) ?? r.outcome);
    if (r.outcome === 'failed') {
      const body = [
        ...r.mismatches.map((m) =>
          m.kind === 'output'
            ? `${m.message}\n  expected: ${JSON.stringify(m.expected)}\n  actual:   ${m.actual === undefined ? '(none)' : JSON.stringify(m.actual)}`
            : `${m.message}\n  expected: ${String(m.expected)}\n  actual:   ${m.actual === undefined ? '(none)' : String(m.actual)}`,
        ),
        ...about,
      ].join('\n');
      lines.push(
        `      <failure message="${message}" type="${xmlEscape(r.mismatches[0]?.kind ?? 'failure')}">${xmlEscape(body)}</failure>`,
      );
    } else if (r.outcome === 'errored') {
      lines.push(
        `      <error message="${message}" type="service">${xmlEscape([r.error ?? '', ...about].join('\n'))}</error>`,
      );
    } else {
      lines.push(`      <skipped message="${message}" />`);
    }
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
