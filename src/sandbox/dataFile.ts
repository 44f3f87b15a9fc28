/**
 * Loads `--data FILE`: JSON with the shape of `SandboxData` (seedTypes.ts, the same shape `defaultSeed()`
 * builds). The checks catch the mistakes that would otherwise surface as confusing API answers.
 */
import { readFileSync } from 'node:fs';
import { isGuid } from './ids';
import type { SandboxData } from './seedTypes';

/** A data file the sandbox cannot use; the message names the offending path. */
export class SandboxDataError extends Error {}

function fail(path: string, problem: string): never {
  throw new SandboxDataError(`Sandbox data: ${path} ${problem}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function requireString(o: Record<string, unknown>, key: string, path: string): void {
  if (typeof o[key] !== 'string' || o[key] === '') {
    fail(`${path}.${key}`, 'must be a non-empty string.');
  }
}

function requireArray(o: Record<string, unknown>, key: string, path: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) {
    fail(`${path}.${key}`, 'must be an array.');
  }
  return v;
}

/** Checks parsed JSON and returns it typed. */
export function validateSandboxData(value: unknown): SandboxData {
  if (!isObject(value)) {
    fail('(root)', 'must be a JSON object.');
  }
  requireString(value, 'tenantId', '(root)');
  const users = requireArray(value, 'users', '(root)');
  if (users.length === 0) {
    fail('users', 'must name at least one user (the default signed-in maker).');
  }
  users.forEach((u, i) => {
    if (!isObject(u)) {
      fail(`users[${i}]`, 'must be an object.');
    }
    ['oid', 'name', 'upn'].forEach((k) => requireString(u, k, `users[${i}]`));
  });
  const names = new Set<string>();
  requireArray(value, 'environments', '(root)').forEach((e, i) => {
    const path = `environments[${i}]`;
    if (!isObject(e)) {
      fail(path, 'must be an object.');
    }
    ['name', 'friendlyName', 'environmentId', 'organizationId'].forEach((k) => requireString(e, k, path));
    if (!/^[a-z0-9][a-z0-9-]*$/.test(e.name as string)) {
      fail(`${path}.name`, 'must be lower-case letters, digits and hyphens (it is a URL segment).');
    }
    if (names.has(e.name as string)) {
      fail(`${path}.name`, `repeats '${e.name as string}'.`);
    }
    names.add(e.name as string);
    if (!isGuid(e.organizationId as string)) {
      fail(`${path}.organizationId`, 'must be a GUID.');
    }
    requireArray(e, 'flows', path).forEach((f, j) => {
      if (!isObject(f)) {
        fail(`${path}.flows[${j}]`, 'must be an object.');
      }
      ['id', 'name', 'state'].forEach((k) => requireString(f, k, `${path}.flows[${j}]`));
      if (!isGuid(f.id as string)) {
        fail(`${path}.flows[${j}].id`, 'must be a GUID.');
      }
      requireArray(f, 'inputs', `${path}.flows[${j}]`);
      requireArray(f, 'outputs', `${path}.flows[${j}]`);
      if (!isObject(f.behaviour) || typeof f.behaviour.durationSeconds !== 'number') {
        fail(`${path}.flows[${j}].behaviour`, 'must be an object with durationSeconds and outcome.');
      }
    });
    const groups = new Set(
      requireArray(e, 'machineGroups', path).map((g, j) => {
        if (!isObject(g)) {
          fail(`${path}.machineGroups[${j}]`, 'must be an object.');
        }
        ['id', 'name', 'type'].forEach((k) => requireString(g, k, `${path}.machineGroups[${j}]`));
        return (g.id as string).toLowerCase();
      }),
    );
    requireArray(e, 'machines', path).forEach((m, j) => {
      if (!isObject(m)) {
        fail(`${path}.machines[${j}]`, 'must be an object.');
      }
      ['id', 'name', 'groupId'].forEach((k) => requireString(m, k, `${path}.machines[${j}]`));
      if (!groups.has((m.groupId as string).toLowerCase())) {
        fail(`${path}.machines[${j}].groupId`, 'names no machine group of the environment.');
      }
    });
    requireArray(e, 'connections', path).forEach((c, j) => {
      if (!isObject(c)) {
        fail(`${path}.connections[${j}]`, 'must be an object.');
      }
      ['name', 'displayName', 'kind', 'targetGroupId', 'username'].forEach((k) =>
        requireString(c, k, `${path}.connections[${j}]`),
      );
      if (!groups.has((c.targetGroupId as string).toLowerCase())) {
        fail(`${path}.connections[${j}].targetGroupId`, 'names no machine group of the environment.');
      }
    });
    requireArray(e, 'connectionReferences', path);
  });
  return value as unknown as SandboxData;
}

/** Reads and validates a data file. */
export function loadSandboxData(file: string): SandboxData {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SandboxDataError(
      `Sandbox data: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return validateSandboxData(parsed);
}
