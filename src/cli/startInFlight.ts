/**
 * What the CLI knows about a start request in flight, for the second Ctrl+C: `main.ts` exits at once then,
 * and prints this first so the maker learns the request may have started a run and how to check.
 */
let note: string | undefined;

/** Sets (or, with `undefined`, clears) the line printed if the process is interrupted twice meanwhile. */
export function setStartInFlight(text: string | undefined): void {
  note = text;
}

/** The line to print on a second interrupt, when a start is in flight. */
export function startInFlightNote(): string | undefined {
  return note;
}
