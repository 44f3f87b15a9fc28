/**
 * Fault injection, programmatic (`sandbox.faults.add(...)`) and over HTTP (`/_sandbox/faults`): per
 * endpoint (method + path glob), by count or probability, answer with a status (429 with
 * `Retry-After`, 500, 503, …), add a delay, drop the connection before responding, or process the
 * request and then drop the connection ("accepted but the response lost", e.g. for RunDesktopFlow).
 */
import { randomUUID } from 'node:crypto';

export type FaultKind = 'status' | 'delay' | 'drop' | 'responseLost';

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
  /** For `delay`: real milliseconds to wait before answering normally. */
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

const kinds: readonly FaultKind[] = ['status', 'delay', 'drop', 'responseLost'];

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
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
  private readonly faults: { fault: Fault; re: RegExp }[] = [];
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
    const fault: Fault = { ...spec, id: randomUUID(), hits: 0 };
    this.faults.push({ fault, re: globToRegExp(spec.path) });
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
      if (!entry.re.test(path)) {
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
    spec.kind === 'delay' &&
    !(typeof spec.delayMs === 'number' && spec.delayMs >= 0 && spec.delayMs <= 600_000)
  ) {
    throw new FaultSpecError('A `delay` fault needs `delayMs` between 0 and 600000.');
  }
  if (spec.count !== undefined && !(Number.isInteger(spec.count) && spec.count > 0)) {
    throw new FaultSpecError('`count` must be a positive integer.');
  }
  if (spec.probability !== undefined && !(spec.probability >= 0 && spec.probability <= 1)) {
    throw new FaultSpecError('`probability` must be between 0 and 1.');
  }
  if (
    spec.retryAfterSeconds !== undefined &&
    !(Number.isInteger(spec.retryAfterSeconds) && spec.retryAfterSeconds >= 0)
  ) {
    throw new FaultSpecError('`retryAfterSeconds` must be a non-negative integer.');
  }
}
