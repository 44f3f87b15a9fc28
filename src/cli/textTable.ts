/**
 * Plain-text layouts for terminal output: column tables for lists and aligned "key  value" blocks for
 * one item. Cells are single-line (newlines become spaces) so each row stays one line for grep and awk.
 */

function cell(value: string | undefined): string {
  return (value ?? '').replace(/\s*[\r\n]+\s*/g, ' ');
}

/** A table with a header row; the last column is not padded. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly (string | undefined)[])[],
): string {
  const all = [headers.map(cell), ...rows.map((r) => headers.map((_, i) => cell(r[i])))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `key  value` lines with aligned values; entries without a value are left out. */
export function formatFields(entries: readonly (readonly [string, string | undefined])[]): string {
  const shown = entries.filter((e): e is readonly [string, string] => e[1] !== undefined && e[1] !== '');
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`).join('\n');
}
