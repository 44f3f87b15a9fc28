/**
 * Splits an OAuth `scope` parameter into the OpenID Connect scopes and the one resource the request is
 * for, following Entra's v2 rules: a scope is `<resource identifier URI>/<permission>` (`.default` meaning
 * "everything consented"), and one request may name only one resource.
 */
import { invalidRequest, invalidScope, OAuthError } from './oauthError';

const oidcScopes = new Set(['openid', 'profile', 'offline_access', 'email']);

/** The scopes of one request. */
export interface RequestedScopes {
  /** The resource identifier URI, e.g. `https://contoso.crm.dynamics.com`; undefined for sign-in only. */
  readonly resource: string | undefined;
  /** The resource scopes as sent, e.g. `https://contoso.crm.dynamics.com/.default`. */
  readonly resourceScopes: readonly string[];
  /** OpenID Connect scopes (`openid`, `profile`, `offline_access`, `email`). */
  readonly oidc: readonly string[];
}

/** The resource part of a scope: everything before its last `/`. */
export function resourceOfScope(scope: string): string {
  const i = scope.lastIndexOf('/');
  return i <= 0 ? scope : scope.slice(0, i);
}

/**
 * Parse `scope`. `isResource` says whether a resource identifier is registered in the tenant; Entra
 * answers AADSTS500011 for one that is not (a trailing slash makes a different, unregistered URI).
 */
export function parseScopes(
  scope: string | undefined,
  isResource: (resource: string) => boolean,
): RequestedScopes {
  const all = (scope ?? '').split(/\s+/).filter((s) => s !== '');
  if (all.length === 0) {
    throw invalidRequest(900144, "The request body must contain the following parameter: 'scope'.");
  }
  const oidc = all.filter((s) => oidcScopes.has(s.toLowerCase()));
  const resourceScopes = all.filter((s) => !oidcScopes.has(s.toLowerCase()));
  const resources = [...new Set(resourceScopes.map((s) => resourceOfScope(s).toLowerCase()))];
  if (resources.length > 1) {
    throw invalidScope(
      28000,
      `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${resourceScopes.join(' ')} is not valid.`,
    );
  }
  const first = resourceScopes[0];
  const resource = first === undefined ? undefined : resourceOfScope(first);
  if (resource !== undefined && !isResource(resource)) {
    throw new OAuthError(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    );
  }
  return { resource, resourceScopes, oidc };
}

/**
 * The default resource rule: any absolute http(s) identifier URI whose path does not end with `/` (Entra
 * registers `https://contoso.crm.dynamics.com`, so `https://contoso.crm.dynamics.com/` is another URI).
 */
export function anyResourceWithoutTrailingSlash(resource: string): boolean {
  if (!/^https?:\/\//i.test(resource) || resource.endsWith('/')) {
    return false;
  }
  try {
    new URL(resource);
    return true;
  } catch {
    return false;
  }
}
