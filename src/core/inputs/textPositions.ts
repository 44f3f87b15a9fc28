/**
 * Offset → line/column conversion, built only when a problem has to be reported (a valid file never
 * pays for it). Line breaks are `\n`, `\r\n` and `\r`, as in VS Code; columns count UTF-16 code units.
 */
import type { InputProblem, ProblemDraft } from './inputProblem';
import { formatJsonPath } from './inputProblem';

/** Line starts of a text. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    if (text.indexOf('\r') < 0) {
      // Only `\n` breaks lines: a native search from one to the next, not a look at every character.
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
        this.starts.push(i + 1);
      }
      return;
    }
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 /* \n */) {
        this.starts.push(i + 1);
      } else if (c === 13 /* \r */) {
        if (text.charCodeAt(i + 1) === 10) {
          i++;
        }
        this.starts.push(i + 1);
      }
    }
  }

  /** 1-based line and column of a 0-based offset. */
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return { line: lo + 1, column: offset - (this.starts[lo] ?? 0) + 1 };
  }
}

/** Give drafts their line, column and path text, in document order (errors first at equal offsets). */
export function locateProblems(text: string, drafts: readonly ProblemDraft[]): InputProblem[] {
  if (drafts.length === 0) {
    return [];
  }
  const index = new LineIndex(text);
  return drafts
    .map((d, order) => ({ d, order }))
    .sort(
      (a, b) =>
        a.d.offset - b.d.offset ||
        (a.d.severity === b.d.severity ? 0 : a.d.severity === 'error' ? -1 : 1) ||
        a.order - b.order,
    )
    .map(({ d }) => {
      const { line, column } = index.position(d.offset);
      const first = d.path[0];
      return {
        ...d,
        pathText: formatJsonPath(d.path),
        ...(typeof first === 'string' && first !== '$schema' ? { input: first } : {}),
        line,
        column,
      };
    });
}
