/**
 * A signed-in account as the rest of the extension sees it: a user (signed in through the browser or a
 * device code) or a service principal (client secret or certificate). No secrets in here.
 */
import type { CloudName } from '../clouds';
import type { AuthTarget } from './authTarget';

/** User accounts act as a person; service principals as an Entra application ("application user"). */
export type AccountKind = 'user' | 'servicePrincipal';

/** How a service principal proves who it is. */
export type ServicePrincipalCredentialKind = 'secret' | 'certificate';

/** A signed-in account. */
export interface AuthAccount {
  /** Unique across clouds and applications; pass it to `AccountManager` methods. */
  readonly id: string;
  /**
   * msal's stable account key (`<oid>.<tenant id>`) for users; `<client id>.<tenant id>` for service
   * principals.
   */
  readonly homeAccountId: string;
  /** Sign-in name for users; the application (client) id for service principals. */
  readonly username: string;
  /** Display name when known (users). */
  readonly name: string | undefined;
  /** The account's tenant id (for users, their home tenant as reported at sign-in). */
  readonly tenantId: string;
  readonly cloud: CloudName;
  readonly kind: AccountKind;
  /** Set for service principals. */
  readonly credentialKind: ServicePrincipalCredentialKind | undefined;
  /** Where the account signs in; kept so its token provider can be rebuilt after a restart. */
  readonly target: AuthTarget;
}

/** The id of an account: kind, authority host, client id and msal home account id. */
export function accountIdOf(kind: AccountKind, target: AuthTarget, homeAccountId: string): string {
  return `${kind === 'user' ? 'user' : 'sp'}|${target.authorityHost.toLowerCase()}|${target.clientId.toLowerCase()}|${homeAccountId.toLowerCase()}`;
}
