/**
 * Where bearer tokens come from. The HTTP client asks for a token per audience (a resource URI such as
 * `https://contoso.crm.dynamics.com` or `https://service.powerapps.com`); the provider maps that to
 * scopes (`<resource>/.default`) and returns an access token.
 */
export interface TokenProvider {
  /** An access token for the resource, from cache when still valid. */
  getToken(resource: string, signal: AbortSignal): Promise<string>;
  /**
   * Called after the service rejected a token with 401: the next `getToken` must not return it.
   * Optional; providers that cannot refresh simply return the same token.
   */
  invalidate?(resource: string, token: string): void;
}
