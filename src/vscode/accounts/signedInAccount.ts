import type { AuthAccount } from '../../core/auth/authAccount';
import type { TokenProvider } from '../../core/auth/tokenProvider';
import type { CloudEndpoints } from '../../core/clouds';
import type { ProxyOptions } from '../../core/http/proxySettings';
import type { Logger } from '../../core/logger';
import { ServiceSession } from '../../core/serviceSession';

/** A signed-in account as the UI sees it: who, in which cloud, and the services to reach with it. */
export interface SignedInAccount {
  /** Stable id (also the prefix of every tree node id under it). */
  readonly id: string;
  /** User name, service principal name, or "Sandbox". */
  readonly label: string;
  /** Cloud and tenant, for descriptions and tooltips. */
  readonly description: string;
  readonly kind: 'user' | 'servicePrincipal' | 'sandbox';
  readonly session: ServiceSession;
}

/** Display names of the clouds, for descriptions and progress titles. */
export const cloudLabels: Readonly<Record<string, string>> = {
  Public: 'Public cloud',
  GCC: 'US Government (GCC)',
  GCCHigh: 'US Government (GCC High)',
  DoD: 'US Department of Defense',
  China: 'China (21Vianet)',
  Sandbox: 'Sandbox',
};

/** What a signed-in account's session is built with (besides the account and its cloud). */
export interface SignedInSessionDeps {
  readonly tokens: TokenProvider;
  readonly logger: Logger;
  readonly proxy: ProxyOptions;
  readonly timeoutMs: number;
}

/**
 * The UI's view of a signed-in account, with the session its services use. The session trusts the default
 * roots only: the sandbox CA (`account.target.authorityCa`) is trusted for the identity host alone, by the
 * token provider's own client, exactly as the CLI does (docs/architecture.md, "Transport").
 */
export function signedInAccountFor(
  account: AuthAccount,
  cloud: CloudEndpoints,
  deps: SignedInSessionDeps,
): SignedInAccount {
  const session = new ServiceSession({
    cloud,
    tokens: deps.tokens,
    logger: deps.logger,
    proxy: deps.proxy,
    timeoutMs: deps.timeoutMs,
  });
  const kind = account.cloud === 'Sandbox' ? 'sandbox' : account.kind;
  return {
    id: account.id,
    label:
      account.name && account.kind === 'user' ? `${account.name} (${account.username})` : account.username,
    description: `${cloudLabels[account.cloud] ?? account.cloud}${account.kind === 'servicePrincipal' ? ' · service principal' : ''}`,
    kind,
    session,
  };
}
