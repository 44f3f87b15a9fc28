/**
 * Where and as which application a sign-in happens: the cloud's authority host, the tenant, the client
 * (application) id and, for the sandbox only, the CA its identity endpoint's certificate chains to. It is
 * plain data (no secrets), so it is kept with each account and a provider can be rebuilt after a restart.
 */
import type { CloudEndpoints, CloudName } from '../clouds';

/**
 * The documented Dataverse sample public client (docs/service-contract.md#authentication-scopes): the default client id. Fine for a
 * quick start; organisations should register their own app and set it in the settings.
 */
export const defaultPublicClientId = '51f81489-12ee-4a9e-aaae-a2591f45987d';

/** Tenant used for user sign-in when none is configured: any work or school account. */
export const defaultUserTenant = 'organizations';

/** The authority and application a sign-in uses. */
export interface AuthTarget {
  readonly cloud: CloudName;
  /** Entra authority host, e.g. `https://login.microsoftonline.com`, or the sandbox identity URL. */
  readonly authorityHost: string;
  /** Hosts msal trusts without Microsoft instance discovery (the sandbox identity host). */
  readonly knownAuthorities: readonly string[];
  /** Tenant id or domain, or `organizations` for users of any tenant. */
  readonly tenantId: string;
  readonly clientId: string;
  /** PEM CA trusted for the authority host only (the sandbox); TLS verification is never turned off. */
  readonly authorityCa?: string;
  /** The resource asked for at sign-in, so consent covers it (the cloud's discovery service). */
  readonly signInResource?: string;
}

/** Options for `authTargetFor`; unset values take the defaults above. */
export interface AuthTargetOptions {
  readonly tenantId?: string;
  readonly clientId?: string;
  readonly authorityCa?: string;
}

/** The sign-in target for a cloud's endpoint table (including the sandbox's, from `sandboxCloud`). */
export function authTargetFor(cloud: CloudEndpoints, options: AuthTargetOptions = {}): AuthTarget {
  const tenant = options.tenantId?.trim();
  const clientId = options.clientId?.trim();
  return {
    cloud: cloud.name,
    authorityHost: cloud.authorityHost.replace(/\/+$/, ''),
    knownAuthorities: cloud.knownAuthorities ?? [],
    tenantId: tenant === undefined || tenant === '' ? defaultUserTenant : tenant,
    clientId: clientId === undefined || clientId === '' ? defaultPublicClientId : clientId,
    ...(options.authorityCa === undefined ? {} : { authorityCa: options.authorityCa }),
    signInResource: cloud.discoveryResource,
  };
}

/**
 * The scope that asks for every consented permission of a resource: `<resource>/.default`. Trailing
 * slashes are removed first (BAP's `instanceUrl` ends with one), since `https://x//.default` names a
 * different resource (docs/service-contract.md#authentication-scopes).
 */
export function defaultScopeFor(resource: string): string {
  return `${normalizeResource(resource)}/.default`;
}

/** A resource URI without trailing slashes, the form used as token audience and cache key. */
export function normalizeResource(resource: string): string {
  return resource.trim().replace(/\/+$/, '');
}

/** The msal authority URL for a target (and an optional tenant overriding the target's). */
export function authorityUrl(target: AuthTarget, tenantId: string = target.tenantId): string {
  return `${target.authorityHost}/${tenantId}`;
}
