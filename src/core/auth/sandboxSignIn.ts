/**
 * "Try the Sandbox": everything needed to sign in to a running sandbox the way a real user signs in to
 * Entra (device code or browser against its identity endpoint), from nothing but its base URL:
 * `GET <sandbox>/_sandbox` (endpoints, tenant, client id) and `GET <sandbox>/_sandbox/ca.pem` (the CA its
 * identity endpoint's certificate chains to, trusted for that host only).
 */
import type { CloudEndpoints, SandboxDescription } from '../clouds';
import { sandboxCloud } from '../clouds';
import { AuthError } from '../errors';
import type { HttpClient } from '../http/httpClient';
import type { AuthTarget } from './authTarget';
import { authTargetFor } from './authTarget';

/** A sandbox's endpoint table and sign-in target. */
export interface SandboxSignIn {
  readonly description: SandboxDescription;
  readonly cloud: CloudEndpoints;
  readonly target: AuthTarget;
}

const requiredUrls = [
  'baseUrl',
  'discoveryUrl',
  'bapUrl',
  'powerAppsUrl',
  'identityUrl',
  'portalUrl',
] as const;

/** Read a running sandbox's description and CA; the result feeds `AccountManager` sign-in methods. */
export async function fetchSandboxSignIn(
  http: HttpClient,
  sandboxUrl: string,
  signal: AbortSignal,
): Promise<SandboxSignIn> {
  const base = sandboxUrl.replace(/\/+$/, '');
  const raw = await http.get<unknown>(`${base}/_sandbox`, { signal });
  const description = parseDescription(raw);
  const ca = await http.get<string>(`${base}/_sandbox/ca.pem`, { signal, responseType: 'text' });
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new AuthError('unknown', 'The sandbox did not serve its CA certificate.', 'sandbox_ca_missing');
  }
  const cloud = sandboxCloud(description);
  const target = authTargetFor(cloud, {
    ...(description.tenantId === undefined ? {} : { tenantId: description.tenantId }),
    ...(description.clientId === undefined ? {} : { clientId: description.clientId }),
    authorityCa: ca,
  });
  return { description, cloud, target };
}

function parseDescription(raw: unknown): SandboxDescription {
  const invalid = (what: string): AuthError =>
    new AuthError('unknown', `The sandbox description is missing ${what}.`, 'sandbox_description_invalid');
  if (typeof raw !== 'object' || raw === null) {
    throw invalid('its fields');
  }
  const r = raw as Record<string, unknown>;
  const urls = {} as Record<(typeof requiredUrls)[number], string>;
  for (const key of requiredUrls) {
    const v = r[key];
    if (typeof v !== 'string' || v === '') {
      throw invalid(key);
    }
    urls[key] = v;
  }
  if (!urls.identityUrl.startsWith('https://')) {
    // msal refuses non-https authorities (authority_uri_insecure).
    throw invalid('an https identityUrl');
  }
  return {
    ...urls,
    ...(typeof r.tenantId === 'string' && r.tenantId !== '' ? { tenantId: r.tenantId } : {}),
    ...(typeof r.clientId === 'string' && r.clientId !== '' ? { clientId: r.clientId } : {}),
  };
}
