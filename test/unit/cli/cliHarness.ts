/**
 * Runs the CLI in-process against a sandbox on 127.0.0.1: `cli(argv)` calls `runCli` with collectors for
 * stdout and stderr and an environment that signs in as the sandbox's client-secret service principal
 * (override per call). One sandbox serves a test file; the harness records every RunDesktopFlow request
 * the sandbox received, so tests can prove that nothing was sent.
 */
import { mkdtempSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Logger } from '../../../src/core/logger';
import { runCli } from '../../../src/cli/runCli';
import type { CliIo } from '../../../src/cli/cliIo';
import { sandboxSecretCredential } from '../../../src/sandbox/identity/identitySeed';
import { defaultSeed, seedEnvironmentNames } from '../../../src/sandbox/seed';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../../src/sandbox/server';
import type { EnvironmentState } from '../../../src/sandbox/environmentState';

/** What one CLI invocation did. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of one invocation. */
export interface CliCall {
  /** Replaces the harness environment (merge `h.env` yourself to extend it). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Text for stdin, and whether it is an interactive terminal. */
  readonly stdin?: { readonly text?: string; readonly isTTY?: boolean };
  readonly signal?: AbortSignal;
  /** Called with everything written to stdout so far, on each write (e.g. to abort once a line appears). */
  readonly onStdout?: (text: string) => void;
}

export interface CliHarness {
  readonly sandbox: Sandbox;
  readonly dev: EnvironmentState;
  readonly devOrgUrl: string;
  /** Signs in as the sandbox's client-secret service principal, in Contoso Dev. */
  readonly env: Readonly<Record<string, string>>;
  /** RunDesktopFlow requests the sandbox received, answered or not (its request log lines). */
  readonly runRequests: string[];
  cli(argv: readonly string[], call?: CliCall): Promise<CliResult>;
  /** A clean slate: no faults, default settings, an empty request log. */
  reset(): void;
  stop(): Promise<void>;
}

/** The sandbox logs each request at debug level (dropped ones too): keep the RunDesktopFlow ones. */
function requestRecorder(runRequests: string[]): Logger {
  const ignore = (): void => undefined;
  return {
    trace: ignore,
    debug: (m) => {
      if (/^\[sandbox\] POST \S*Microsoft\.Dynamics\.CRM\.RunDesktopFlow\b/.test(m)) {
        runRequests.push(m);
      }
    },
    info: ignore,
    warn: ignore,
    error: ignore,
  };
}

/** Starts a fast sandbox (one sandbox second is 5 real ms) and the CLI runner. */
export async function startCliHarness(options: SandboxOptions = {}): Promise<CliHarness> {
  const runRequests: string[] = [];
  const data = defaultSeed();
  // Contoso Dev and the default environment only: less to seed, and two environments to resolve between.
  data.environments = data.environments.filter((e) => e.name !== seedEnvironmentNames.bulk);
  const sandbox = await startSandbox({
    port: 0,
    speed: 200,
    data,
    logger: requestRecorder(runRequests),
    ...options,
  });
  const dev = sandbox.environments.get(seedEnvironmentNames.dev);
  if (dev === undefined) {
    throw new Error('The sandbox has no contoso-dev environment');
  }
  const settings = { ...sandbox.settings };
  const env = {
    DESKTOPFLOWS_SANDBOX_URL: sandbox.url,
    DESKTOPFLOWS_ENV: 'Contoso Dev',
    DESKTOPFLOWS_CLIENT_ID: sandboxSecretCredential.clientId,
    DESKTOPFLOWS_CLIENT_SECRET: sandboxSecretCredential.clientSecret,
    // Claims and start locks of these runs stay out of the user's own state directory.
    DESKTOPFLOWS_STATE_DIR: mkdtempSync(path.join(tmpdir(), 'desktopflows-state-')),
  };
  return {
    sandbox,
    dev,
    devOrgUrl: sandbox.orgUrl(seedEnvironmentNames.dev),
    env,
    runRequests,
    async cli(argv, call = {}): Promise<CliResult> {
      let stdout = '';
      let stderr = '';
      const stdin =
        call.stdin === undefined
          ? undefined
          : Object.assign(Readable.from([call.stdin.text ?? '']), { isTTY: call.stdin.isTTY ?? false });
      const io: CliIo = {
        stdout: {
          write: (s: string) => {
            stdout += s;
            call.onStdout?.(stdout);
            return true;
          },
        },
        stderr: { write: (s: string) => (stderr += s) },
        env: call.env ?? env,
        ...(stdin === undefined ? {} : { stdin }),
        ...(call.signal === undefined ? {} : { signal: call.signal }),
      };
      const code = await runCli(argv, io);
      return { code, stdout, stderr };
    },
    reset(): void {
      sandbox.faults.clear();
      Object.assign(sandbox.settings, settings);
      runRequests.length = 0;
    },
    stop: () => sandbox.stop(),
  };
}

/** Parses stdout as JSON (fails the test with the output when it is not). */
export function json<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** The lines of stderr that are errors (`error: …`). */
export function errorLines(result: CliResult): string[] {
  return result.stderr.split('\n').filter((l) => l.startsWith('error: '));
}

/** A CLI harness for one suite, with a scratch folder of its own. */
export interface CliSuite extends CliHarness {
  /** The suite's scratch folder (removed after the suite). */
  readonly dir: string;
  /** Writes `content` (text and bytes as they are, anything else as indented JSON) at `name` under `dir`. */
  file(name: string, content: unknown): Promise<string>;
}

/**
 * Starts a harness and a scratch folder (`<tmp>/<folderPrefix>…`) before the suite, resets the harness
 * before each test, and stops and removes both after. Call it inside `describe`; its members work in hooks
 * and tests.
 */
export function cliSuite(
  folderPrefix: string,
  options: SandboxOptions | (() => SandboxOptions) = {},
): CliSuite {
  let state: { h: CliHarness; dir: string } | undefined;
  before(async () => {
    const h = await startCliHarness(typeof options === 'function' ? options() : options);
    state = { h, dir: await mkdtemp(path.join(tmpdir(), folderPrefix)) };
  });
  after(async () => {
    const s = state;
    state = undefined;
    await s?.h.stop();
    if (s !== undefined) {
      await rm(s.dir, { recursive: true, force: true });
    }
  });
  beforeEach(() => started().h.reset());
  const started = (): { h: CliHarness; dir: string } => {
    if (state === undefined) {
      throw new Error('The CLI suite has not started: use it in hooks and tests only.');
    }
    return state;
  };
  return {
    get sandbox() {
      return started().h.sandbox;
    },
    get dev() {
      return started().h.dev;
    },
    get devOrgUrl() {
      return started().h.devOrgUrl;
    },
    get env() {
      return started().h.env;
    },
    get runRequests() {
      return started().h.runRequests;
    },
    get dir() {
      return started().dir;
    },
    cli: (argv, call) => started().h.cli(argv, call),
    reset: () => started().h.reset(),
    stop: () => started().h.stop(),
    async file(name, content) {
      const p = path.join(started().dir, name);
      await mkdir(path.dirname(p), { recursive: true });
      await writeFile(
        p,
        typeof content === 'string' || content instanceof Uint8Array
          ? content
          : JSON.stringify(content, null, 2),
      );
      return p;
    },
  };
}
