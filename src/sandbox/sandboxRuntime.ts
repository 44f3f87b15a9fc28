/**
 * What the route modules share about one running sandbox: options, clock, token issuer, environments,
 * limits and the run engine. Built by `startSandbox` (server.ts); routes only read it.
 */
import type { Logger } from '../core/logger';
import type { SandboxClock } from './clock';
import type { EnvironmentState } from './environmentState';
import type { FaultInjector } from './faults';
import type { RateLimiter } from './rateLimits';
import type { RunEngine } from './runEngine';
import type { SandboxData } from './seedTypes';
import type { TokenIssuer } from './tokens';

/** Behaviour switches, settable at start and (most) while running through `/_sandbox/settings`. */
export interface SandboxSettings {
  /** `CancelDesktopFlowRun` on a finished run: a 400 Dataverse error (default) or 204 (reference 4.6). */
  cancelFinishedRun: 'error' | 'noContent';
  /** Include `connectionParametersSet` on connection GETs (its presence is unconfirmed, reference 5.1). */
  connectionParametersOnGet: boolean;
  /** Allow `callbackUrl` on loopback/IP hosts (the real service refuses them; tests need them). */
  allowLoopbackCallbacks: boolean;
  /** RunDesktopFlow calls per connection per (sandbox) minute before 429. Default 70. */
  runsPerMinutePerConnection: number;
  /** Dataverse requests per user per window before 429 `0x80072322`. Default 6000 per 300 s. */
  requestBudget: { limit: number; windowSeconds: number };
  /** Concurrent Dataverse requests per user before 429 `0x80072326`. Default 52. */
  concurrentRequestLimit: number;
  /** Queued runs fail with NoCandidateMachine after this many sandbox seconds. Default 6 h. */
  queueTimeoutSeconds: number;
  /**
   * Sandbox seconds between a queue change (run queued, machine freed or changed) and the dispatch that
   * assigns machines, so a new run is observably Waiting (3) first, as in the real queue. Default 1.
   */
  dispatchDelaySeconds: number;
}

export const defaultSettings: SandboxSettings = {
  cancelFinishedRun: 'error',
  connectionParametersOnGet: true,
  allowLoopbackCallbacks: false,
  runsPerMinutePerConnection: 70,
  requestBudget: { limit: 6000, windowSeconds: 300 },
  concurrentRequestLimit: 52,
  queueTimeoutSeconds: 6 * 3600,
  dispatchDelaySeconds: 1,
};

export interface SandboxRuntime {
  readonly origin: string;
  readonly clock: SandboxClock;
  readonly issuer: TokenIssuer;
  readonly data: SandboxData;
  /** By environment URL name. */
  readonly environments: ReadonlyMap<string, EnvironmentState>;
  readonly settings: SandboxSettings;
  readonly logger: Logger;
  readonly faults: FaultInjector;
  readonly limits: RateLimiter;
  readonly engine: RunEngine;
  /** Base URL of the identity (authority host) endpoint. */
  identityUrl: string;
}

/** Service URLs under the sandbox origin. */
export function serviceUrls(origin: string): {
  discovery: string;
  bap: string;
  powerApps: string;
  portal: string;
} {
  return {
    discovery: `${origin}/discovery`,
    bap: `${origin}/bap`,
    powerApps: `${origin}/powerapps`,
    portal: `${origin}/portal`,
  };
}

/** The org URL of an environment (its Dataverse token audience), and its API URL. */
export function orgUrl(origin: string, name: string): string {
  return `${origin}/org/${name}`;
}

export function orgApiUrl(origin: string, name: string): string {
  return `${origin}/orgapi/${name}`;
}

/** RunDesktopFlow input limit of an environment (reference 1.5, 4.1). */
export function inputLimitBytes(env: EnvironmentState): number {
  return env.seed.chinaCloud === true ? 1024 * 1024 : 2 * 1024 * 1024;
}
