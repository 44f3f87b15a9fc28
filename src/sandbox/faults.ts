/**
 * Fault injection, programmatic (`sandbox.faults.add(...)`) and over HTTP (`/_sandbox/faults`): per
 * endpoint (method + path glob), by count or probability, answer with a status (429 with
 * `Retry-After`, 500, 503, …), add a delay, drop the connection before responding, or process the
 * request and then drop the connection ("accepted but the response lost", e.g. for RunDesktopFlow), or
 * stall it: hold the request, then process it and answer (a service that finishes a request late, after
 * the client may have given up on it).
 */
import { randomUUID } from 'node:crypto';

export type FaultKind = 'status' | 'delay' | 'stall' | 'drop' | 'responseLost';

/** A fault to add. JSON-friendly: the same shape is POSTed to `/_sandbox/faults`. */
export interface FaultSpec {
  /** HTTP method to match (case-insensitive); any when absent. */
  method?: string;
  /**
   * Path glob matched against the URL path (no query string), e.g.
   * `/org/*\/api/data/v9.2/workflows(*)/Microsoft.Dynamics.CRM.RunDesktopFlow`. `*` matches any run of
   * characters, including `/`.
   */
  path: string;
  kind: FaultKind;
  /** For `status`: the HTTP status (e.g. 429, 500, 503). */
  status?: number;
  /** For `status`: `Retry-After` seconds (default 1 for 429 and 503). */
  retryAfterSeconds?: number;
  /**
   * For `delay`: real milliseconds to wait, after processing, before answering. For `stall`: real
   * milliseconds to wait before processing the request (its effect, e.g. a run, happens only then).
   */
  delayMs?: number;
  /** Apply to the next N matching requests only; unlimited when absent. */
  count?: number;
  /** Chance (0–1) that a matching request is hit; default 1. */
  probability?: number;
}

/** An active fault. */
export interface Fault extends FaultSpec {
  id: string;
  /** How many requests it has hit so far. */
  hits: number;
}

/** Why a spec was refused. */
export class FaultSpecError extends Error {}

const kinds: readonly FaultKind[] = ['status', 'delay', 'stall', 'drop', 'responseLost'];

/** What a fault spec may hold: a fault list and its paths stay small, whatever is POSTed. */
export const faultLimits = {
  /** Characters of a path glob. */
  maxPathChars: 2_048,
  /** Active faults at once. */
  maxFaults: 1_000,
  maxCount: 1_000_000,
  maxRetryAfterSeconds: 86_400,
} as const;

/**
 * A compiled glob: the literal pieces between `*`s. Matching is linear in the path (each piece is found
 * with `indexOf` after the previous one, leftmost first, which is enough for `*` globs), so no glob can
 * make a request slow the way a backtracking regular expression can (`/*********x`).
 */
interface Glob {
  readonly pieces: readonly string[];
}

function compileGlob(glob: string): Glob {
  return { pieces: glob.split('*') };
}

/** True when `text` matches the glob as a whole. */
export function globMatches(glob: Glob, text: string): boolean {
  const { pieces } = glob;
  const first = pieces[0] ?? '';
  if (pieces.length === 1) {
    return text === first;
  }
  const last = pieces[pieces.length - 1] ?? '';
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) {
    return false;
  }
  let at = first.length;
  const end = text.length - last.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i] ?? '';
    if (piece === '') {
      continue;
    }
    const found = text.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) {
      return false;
    }
    at = found + piece.length;
  }
  return true;
}

/** A small seeded PRNG (mulberry32), so probabilistic faults repeat from run to run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private readonly faults: { fault: Fault; glob: Glob }[] = [];
  private random: () => number;

  constructor(seed = 1) {
    this.random = prng(seed);
  }

  /** Reseed the probability source. */
  reseed(seed: number): void {
    this.random = prng(seed);
  }

  /** Validates and adds a fault; returns it with its id. */
  add(spec: FaultSpec): Fault {
    validate(spec);
    if (this.faults.length >= faultLimits.maxFaults) {
      throw new FaultSpecError(
        `At most ${faultLimits.maxFaults} faults can be active at once; DELETE /_sandbox/faults clears them.`,
      );
    }
    // Only the documented fields are kept, so the list (and every log line about it) stays small.
    const fault: Fault = {
      ...(spec.method === undefined ? {} : { method: spec.method }),
      path: spec.path,
      kind: spec.kind,
      ...(spec.status === undefined ? {} : { status: spec.status }),
      ...(spec.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: spec.retryAfterSeconds }),
      ...(spec.delayMs === undefined ? {} : { delayMs: spec.delayMs }),
      ...(spec.count === undefined ? {} : { count: spec.count }),
      ...(spec.probability === undefined ? {} : { probability: spec.probability }),
      id: randomUUID(),
      hits: 0,
    };
    this.faults.push({ fault, glob: compileGlob(spec.path) });
    return fault;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f.fault }));
  }

  /** Removes one fault; false when unknown. */
  remove(id: string): boolean {
    const i = this.faults.findIndex((f) => f.fault.id === id);
    if (i < 0) {
      return false;
    }
    this.faults.splice(i, 1);
    return true;
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** The fault to apply to a request, if any (first match in insertion order); counts the hit. */
  match(method: string, path: string): Fault | undefined {
    for (const entry of this.faults) {
      const f = entry.fault;
      if (f.method !== undefined && f.method.toUpperCase() !== method.toUpperCase()) {
        continue;
      }
      if (!globMatches(entry.glob, path)) {
        continue;
      }
      if (f.count !== undefined && f.hits >= f.count) {
        continue;
      }
      if (f.probability !== undefined && this.random() >= f.probability) {
        continue;
      }
      f.hits++;
      return { ...f };
    }
    return undefined;
  }
}

function validate(spec: FaultSpec): void {
  if (typeof spec !== 'object' || spec === null) {
    throw new FaultSpecError('A fault must be a JSON object.');
  }
  if (typeof spec.path !== 'string' || !spec.path.startsWith('/')) {
    throw new FaultSpecError('`path` must be a path glob starting with `/`.');
  }
  if (spec.path.length > faultLimits.maxPathChars) {
    throw new FaultSpecError(
      `\`path\` must be at most ${faultLimits.maxPathChars} characters (it has ${spec.path.length}).`,
    );
  }
  if (
    spec.method !== undefined &&
    (typeof spec.method !== 'string' || !/^[A-Za-z]{1,16}$/.test(spec.method))
  ) {
    throw new FaultSpecError('`method` must be an HTTP method such as GET or POST.');
  }
  if (!kinds.includes(spec.kind)) {
    throw new FaultSpecError(`\`kind\` must be one of ${kinds.join(', ')}.`);
  }
  if (
    spec.kind === 'status' &&
    !(Number.isInteger(spec.status) && (spec.status as number) >= 400 && (spec.status as number) <= 599)
  ) {
    throw new FaultSpecError('A `status` fault needs `status` between 400 and 599.');
  }
  if (
    (spec.kind === 'delay' || spec.kind === 'stall') &&
    !(typeof spec.delayMs === 'number' && spec.delayMs >= 0 && spec.delayMs <= 600_000)
  ) {
    throw new FaultSpecError(`A \`${spec.kind}\` fault needs \`delayMs\` between 0 and 600000.`);
  }
  if (
    spec.count !== undefined &&
    !(Number.isInteger(spec.count) && spec.count > 0 && spec.count <= faultLimits.maxCount)
  ) {
    throw new FaultSpecError(`\`count\` must be a whole number from 1 to ${faultLimits.maxCount}.`);
  }
  if (
    spec.probability !== undefined &&
    !(typeof spec.probability === 'number' && spec.probability >= 0 && spec.probability <= 1)
  ) {
    throw new FaultSpecError('`probability` must be a number between 0 and 1.');
  }
  if (
    spec.retryAfterSeconds !== undefined &&
    !(
      Number.isInteger(spec.retryAfterSeconds) &&
      spec.retryAfterSeconds >= 0 &&
      spec.retryAfterSeconds <= faultLimits.maxRetryAfterSeconds
    )
  ) {
    throw new FaultSpecError(
      `\`retryAfterSeconds\` must be a whole number from 0 to ${faultLimits.maxRetryAfterSeconds}.`,
    );
  }
}
