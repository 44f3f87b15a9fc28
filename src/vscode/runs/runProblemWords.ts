/**
 * `prepareRun`'s problems in words for the VS Code surfaces (notification, transcript). Pure: no `vscode`
 * import, so it is unit-tested under plain Node.
 */
import type { RunProblem } from '../../core/runs/prepareRun';

/** "line 4, column 12" of a problem in a file the maker wrote; `undefined` for other sources. */
export function problemPlace(p: RunProblem): string | undefined {
  return p.located === true && p.input !== undefined
    ? `line ${p.input.line}, column ${p.input.column}`
    : undefined;
}

/** The problems that block the run (errors), in the order found. */
export function blockingProblems(problems: readonly RunProblem[]): RunProblem[] {
  return problems.filter((p) => p.severity === 'error');
}

/**
 * One message for a run that was refused: what is wrong first (with where, for a file), how to fix it, and
 * how many more problems there are. Always says that nothing was sent.
 */
export function describeRunProblems(flowName: string, problems: readonly RunProblem[]): string {
  const errors = blockingProblems(problems);
  const first = errors[0] ?? problems[0];
  if (first === undefined) {
    return `"${flowName}" could not be prepared; nothing was sent.`;
  }
  const place = problemPlace(first);
  const source = first.source !== undefined && first.field === 'inputs' ? `${first.source}: ` : '';
  const at = place === undefined ? '' : `at ${place}: `;
  const more =
    errors.length > 1 ? ` (${errors.length - 1} more problem${errors.length === 2 ? '' : 's'})` : '';
  return `"${flowName}" was not started; nothing was sent. ${capitalize(`${source}${at}${first.message}`)} ${first.fix}${more}`;
}

function capitalize(text: string): string {
  return text.length === 0 ? text : `${text[0]?.toUpperCase() ?? ''}${text.slice(1)}`;
}
