/**
 * Output expectations: each output a test lists must deep-equal the run's output of that name; outputs it
 * does not list are ignored. Numbers compare by value (1250.5 equals 1250.50; a number never equals its
 * text), lists element by element in order, custom objects and datatable rows (lists of objects, as the
 * service returns them) property by property whatever the order. Every difference is one `OutputMismatch`.
 */

/** One difference between an expected output and the run's. */
export interface OutputMismatch {
  /** The output's name. */
  readonly output: string;
  /** Where inside it, for people: `Total`, `Summary.name`, `Report[1].Amount`. */
  readonly path: string;
  readonly kind: 'missing' | 'different' | 'extraProperty' | 'missingProperty' | 'length';
  /** The expected value at `path` (`undefined` for an extra property). */
  readonly expected: unknown;
  /** The run's value at `path` (`undefined` when missing). */
  readonly actual: unknown;
  /** A full sentence saying what differs. */
  readonly message: string;
}

function at(path: string, key: string | number): string {
  return typeof key === 'number'
    ? `${path}[${key}]`
    : /^[A-Za-z_$][\w$]*$/.test(key)
      ? `${path}.${key}`
      : `${path}[${JSON.stringify(key)}]`;
}

/** A value in one line, shortened. */
export function showValue(value: unknown): string {
  if (value === undefined) {
    return 'nothing';
  }
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'object' : typeof v;
}

function compare(
  output: string,
  path: string,
  expected: unknown,
  actual: unknown,
  out: OutputMismatch[],
): void {
  const ek = kindOf(expected);
  const ak = kindOf(actual);
  if (ek !== ak) {
    out.push({
      output,
      path,
      kind: 'different',
      expected,
      actual,
      message: `${path} is ${showValue(actual)} (${ak === 'undefined' ? 'nothing' : `a ${ak}`}); expected ${showValue(expected)} (a ${ek}).`,
    });
    return;
  }
  if (ek === 'list') {
    const e = expected as unknown[];
    const a = actual as unknown[];
    if (e.length !== a.length) {
      out.push({
        output,
        path,
        kind: 'length',
        expected,
        actual,
        message: `${path} has ${a.length} item${a.length === 1 ? '' : 's'}; expected ${e.length}.`,
      });
    }
    for (let i = 0; i < Math.min(e.length, a.length); i++) {
      compare(output, at(path, i), e[i], a[i], out);
    }
    return;
  }
  if (ek === 'object') {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    for (const key of Object.keys(e)) {
      if (!Object.prototype.hasOwnProperty.call(a, key)) {
        out.push({
          output,
          path: at(path, key),
          kind: 'missingProperty',
          expected: e[key],
          actual: undefined,
          message: `${at(path, key)} is missing; expected ${showValue(e[key])}.`,
        });
      } else {
        compare(output, at(path, key), e[key], a[key], out);
      }
    }
    for (const key of Object.keys(a)) {
      if (!Object.prototype.hasOwnProperty.call(e, key)) {
        out.push({
          output,
          path: at(path, key),
          kind: 'extraProperty',
          expected: undefined,
          actual: a[key],
          message: `${at(path, key)} is ${showValue(a[key])}, which the test does not expect.`,
        });
      }
    }
    return;
  }
  if (!Object.is(expected, actual) && !(ek === 'number' && expected === actual)) {
    out.push({
      output,
      path,
      kind: 'different',
      expected,
      actual,
      message: `${path} is ${showValue(actual)}; expected ${showValue(expected)}.`,
    });
  }
}

/** The differences between the listed outputs and the run's outputs (empty when they all match). */
export function matchOutputs(
  expected: Readonly<Record<string, unknown>>,
  actual: Readonly<Record<string, unknown>> | undefined,
): OutputMismatch[] {
  const out: OutputMismatch[] = [];
  for (const [name, value] of Object.entries(expected)) {
    if (actual === undefined || !Object.prototype.hasOwnProperty.call(actual, name)) {
      out.push({
        output: name,
        path: at('', name).replace(/^\./, ''),
        kind: 'missing',
        expected: value,
        actual: undefined,
        message: `The run has no output "${name}"; expected ${showValue(value)}.`,
      });
      continue;
    }
    compare(name, at('', name).replace(/^\./, ''), value, actual[name], out);
  }
  return out;
}
