/**
 * A run as every front end asks for one: which flow in which environment, with which inputs, how. Plain
 * data, unvalidated: `prepareRun` (prepareRun.ts) resolves and checks it, and only its `PreparedRun` can be
 * started (`RunService.start`). See docs/architecture.md, "One road for every run".
 */
import type { DesktopFlow } from '../model/flow';
import type { EnvironmentRef } from './runJournal';

/** An environment as a front end knows it. */
export type RunEnvironmentTarget =
  /** A display name, environment id, org unique name, organization id or org URL, resolved through discovery. */
  | { readonly kind: 'key'; readonly key: string }
  /**
   * Already resolved by the front end (a tree node, the CLI's `--env`). `names` are the other names it goes
   * by (unique name, …), so an input file's `$schema` naming any of them is not reported as another environment.
   */
  | {
      readonly kind: 'resolved';
      readonly ref: EnvironmentRef;
      readonly names?: readonly string[];
      /** Discovery region code, when known (the inputs limit follows the environment's cloud). */
      readonly region?: string;
    };

/** A flow as a front end knows it. */
export type RunFlowTarget =
  /** A flow id (`workflowid`) or the flow's exact name. */
  | { readonly kind: 'key'; readonly key: string }
  /** Already resolved (a tree node). */
  | { readonly kind: 'resolved'; readonly flow: Pick<DesktopFlow, 'id' | 'name' | 'isUnpublished'> };

/** Where the inputs come from. Whatever the source, they are validated the same way. */
export type RunInputsSource =
  /** No inputs given: the flow's defaults apply, and required inputs without defaults are a problem. */
  | { readonly kind: 'none' }
  /** An input file's text; `label` names it in problems (a path, "stdin", an editor title). */
  | { readonly kind: 'file'; readonly text: string; readonly label: string }
  /** Values given inline (command arguments, an agent tool call); serialized, then validated like a file. */
  | { readonly kind: 'values'; readonly values: Readonly<Record<string, unknown>>; readonly label?: string }
  /** "Run again": the inputs run `runId` (of the same environment) was started with, checked against the flow now. */
  | { readonly kind: 'run'; readonly runId: string };

/** Who asked for the run; carried through to the events for logs and telemetry-free diagnostics. */
export type RunOrigin =
  | 'cli'
  | 'palette'
  | 'tree'
  | 'inputFile'
  | 'runAgain'
  | 'inline'
  | 'batch'
  | 'test'
  | 'agent'
  | (string & {});

/** A run as requested, before anything is resolved or checked. */
export interface RunRequest {
  readonly target: { readonly environment: RunEnvironmentTarget; readonly flow: RunFlowTarget };
  readonly inputs: RunInputsSource;
  /** Run options as given (checked with `validateRunOptions`): `{ connection, runMode, priority?, timeoutSeconds? }`. */
  readonly options: unknown;
  readonly origin: RunOrigin;
}
