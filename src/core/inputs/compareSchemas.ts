/**
 * What changed between two versions of a flow's schema: inputs added, removed, renamed (a best guess:
 * the schema has no stable variable ids), or changed in type, requirement or sensitivity. Input files
 * written for the old version are checked against the new one with this (`removedInput` problems).
 */
import type { DesktopFlowSchema, FlowVariable } from './desktopFlowSchema';
import { nameSimilarity } from './nameSimilarity';

/** A removed variable paired with an added one that is probably the same variable renamed. */
export interface RenamedVariable {
  readonly from: FlowVariable;
  readonly to: FlowVariable;
  /** `likely`: similar names or identical descriptions; `possible`: the only candidate of that type. */
  readonly confidence: 'likely' | 'possible';
}

/** A variable present in both versions whose declaration changed. */
export interface ChangedVariable {
  readonly name: string;
  readonly previous: FlowVariable;
  readonly current: FlowVariable;
}

/** The differences between two schema versions. */
export interface SchemaComparison {
  /** New variables (rename targets excluded). */
  readonly added: readonly FlowVariable[];
  /** Variables that are gone (rename sources excluded). */
  readonly removed: readonly FlowVariable[];
  readonly renamed: readonly RenamedVariable[];
  readonly typeChanged: readonly ChangedVariable[];
  readonly requirementChanged: readonly ChangedVariable[];
  readonly sensitivityChanged: readonly ChangedVariable[];
  /** False when nothing above changed. */
  readonly changed: boolean;
}

function compatibleKinds(a: FlowVariable, b: FlowVariable): boolean {
  return a.kind === b.kind || a.kind === 'unknown' || b.kind === 'unknown';
}

function renameScore(from: FlowVariable, to: FlowVariable): number {
  let score = nameSimilarity(from.name, to.name);
  if (from.description !== undefined && from.description === to.description) {
    score += 0.5;
  }
  if (from.title !== undefined && from.title !== from.name && from.title === to.title) {
    score += 0.5;
  }
  if (from.hasDefault && to.hasDefault && JSON.stringify(from.default) === JSON.stringify(to.default)) {
    score += 0.2;
  }
  return score;
}

const likelyScore = 0.6;

/** Compare the previous and current version of a flow's inputs (or outputs). */
export function compareSchemas(previous: DesktopFlowSchema, current: DesktopFlowSchema): SchemaComparison {
  const currentByName = new Map(current.variables.map((v) => [v.name, v]));
  const previousNames = new Set(previous.variables.map((v) => v.name));
  const gone = previous.variables.filter((v) => !currentByName.has(v.name));
  const fresh = current.variables.filter((v) => !previousNames.has(v.name));

  const pairs: { from: FlowVariable; to: FlowVariable; score: number }[] = [];
  for (const from of gone) {
    for (const to of fresh) {
      if (compatibleKinds(from, to)) {
        pairs.push({ from, to, score: renameScore(from, to) });
      }
    }
  }
  pairs.sort((a, b) => b.score - a.score);
  const renamed: RenamedVariable[] = [];
  const paired = new Set<FlowVariable>();
  for (const pair of pairs) {
    if (pair.score >= likelyScore && !paired.has(pair.from) && !paired.has(pair.to)) {
      renamed.push({ from: pair.from, to: pair.to, confidence: 'likely' });
      paired.add(pair.from).add(pair.to);
    }
  }
  // One variable out and one of the same type in: most likely a rename, whatever the names.
  const leftGone = gone.filter((v) => !paired.has(v));
  const leftFresh = fresh.filter((v) => !paired.has(v));
  const [onlyFrom] = leftGone;
  const [onlyTo] = leftFresh;
  if (leftGone.length === 1 && leftFresh.length === 1 && onlyFrom !== undefined && onlyTo !== undefined) {
    if (compatibleKinds(onlyFrom, onlyTo)) {
      renamed.push({ from: onlyFrom, to: onlyTo, confidence: 'possible' });
      paired.add(onlyFrom).add(onlyTo);
    }
  }

  const typeChanged: ChangedVariable[] = [];
  const requirementChanged: ChangedVariable[] = [];
  const sensitivityChanged: ChangedVariable[] = [];
  for (const before of previous.variables) {
    const after = currentByName.get(before.name);
    if (after === undefined) {
      continue;
    }
    const change = { name: before.name, previous: before, current: after };
    if (before.kind !== after.kind) {
      typeChanged.push(change);
    }
    if (before.requirement !== after.requirement) {
      requirementChanged.push(change);
    }
    if (before.sensitive !== after.sensitive) {
      sensitivityChanged.push(change);
    }
  }

  const added = fresh.filter((v) => !paired.has(v));
  const removed = gone.filter((v) => !paired.has(v));
  return {
    added,
    removed,
    renamed,
    typeChanged,
    requirementChanged,
    sensitivityChanged,
    changed:
      added.length +
        removed.length +
        renamed.length +
        typeChanged.length +
        requirementChanged.length +
        sensitivityChanged.length >
      0,
  };
}
