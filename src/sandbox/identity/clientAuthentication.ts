/**
 * Authenticates the client of a token request, as Entra does: public clients send only `client_id`;
 * confidential clients send a secret (`client_secret`, or HTTP Basic) or a certificate-signed JWT
 * (`client_assertion`, RFC 7523) whose `x5t#S256`/`x5t` header names a registered certificate.
 */
import { constants, createHash, verify, X509Certificate } from 'node:crypto';
import type { SandboxClientRegistration } from './identitySeed';
import type { IdentityState } from './identityState';
import { invalidClient, invalidRequest } from './oauthError';

const jwtBearer = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Tolerated clock skew for assertion `nbf`/`exp`, as Entra (5 minutes). */
const skewSeconds = 300;

/** How the client proved who it is. */
export type ClientProof = 'none' | 'secret' | 'certificate';

/**
 * The authenticated client of a token request. `tokenEndpointUrl` is the URL the request was sent to:
 * an assertion must name it as its audience.
 */
export function authenticateClient(
  state: IdentityState,
  params: URLSearchParams,
  authorization: string | undefined,
  tokenEndpointUrl: string,
): { client: SandboxClientRegistration; proof: ClientProof } {
  let clientId = params.get('client_id') ?? undefined;
  let secret = params.get('client_secret') ?? undefined;
  const basic = /^basic\s+(.+)$/i.exec(authorization ?? '');
  if (basic?.[1] !== undefined) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      clientId ??= decodeURIComponent(decoded.slice(0, colon));
      secret ??= decodeURIComponent(decoded.slice(colon + 1));
    }
  }
  const assertion = params.get('client_assertion') ?? undefined;
  const client = state.requireClient(clientId);

  if (assertion !== undefined) {
    if (params.get('client_assertion_type') !== jwtBearer) {
      throw invalidRequest(7000217, `The 'client_assertion_type' parameter must be '${jwtBearer}'.`);
    }
    verifyClientAssertion(client, assertion, tokenEndpointUrl);
    return { client, proof: 'certificate' };
  }
  if (secret !== undefined && secret !== '') {
    if (client.kind === 'public') {
      throw invalidClient(
        700025,
        "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
      );
    }
    state.checkClientSecret(client, secret);
    return { client, proof: 'secret' };
  }
  if (client.kind === 'confidential') {
    throw invalidClient(
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  return { client, proof: 'none' };
}

/** Verify an RFC 7523 client assertion against the client's registered certificates. */
export function verifyClientAssertion(
  client: SandboxClientRegistration,
  assertion: string,
  tokenEndpointUrl: string,
): void {
  const parts = assertion.split('.');
  if (parts.length !== 3) {
    throw invalidClient(50027, 'JWT token is invalid or malformed.');
  }
  const [h, p, s] = parts as [string, string, string];
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw invalidClient(50027, 'JWT token is invalid or malformed.');
  }
  const certificate = findCertificate(client, header);
  if (certificate === undefined) {
    const thumbprint =
      typeof header['x5t#S256'] === 'string'
        ? header['x5t#S256']
        : typeof header.x5t === 'string'
          ? header.x5t
          : '';
    throw invalidClient(
      700027,
      `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}']`,
    );
  }
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  const signatureOk =
    header.alg === 'RS256'
      ? verify('sha256', data, certificate.publicKey, signature)
      : header.alg === 'PS256'
        ? verify(
            'sha256',
            data,
            {
              key: certificate.publicKey,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: constants.RSA_PSS_SALTLEN_AUTO,
            },
            signature,
          )
        : false;
  if (!signatureOk) {
    throw invalidClient(700027, 'Client assertion failed signature validation.');
  }
  if (payload.iss !== client.clientId || payload.sub !== client.clientId) {
    throw invalidClient(
      700021,
      "Client assertion application identifier doesn't match 'client_id' parameter.",
    );
  }
  if (typeof payload.aud !== 'string' || payload.aud.toLowerCase() !== tokenEndpointUrl.toLowerCase()) {
    throw invalidClient(700023, 'Client assertion audience claim does not match Realm issuer.');
  }
  // The assertion is made on the client's own clock, which is the machine's real clock, not the
  // (possibly fast-forwarded) sandbox clock.
  const now = Date.now() / 1000;
  if (
    typeof payload.exp !== 'number' ||
    payload.exp + skewSeconds < now ||
    (typeof payload.nbf === 'number' && payload.nbf - skewSeconds > now)
  ) {
    throw invalidClient(700024, 'Client assertion is not within its valid time range.');
  }
}

function findCertificate(
  client: SandboxClientRegistration,
  header: Record<string, unknown>,
): X509Certificate | undefined {
  const x5tS256 = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : undefined;
  const x5t = typeof header.x5t === 'string' ? header.x5t : undefined;
  for (const pem of client.certificates) {
    const cert = new X509Certificate(pem);
    if (x5tS256 !== undefined && createHash('sha256').update(cert.raw).digest('base64url') === x5tS256) {
      return cert;
    }
    if (x5t !== undefined && createHash('sha1').update(cert.raw).digest('base64url') === x5t) {
      return cert;
    }
  }
  return undefined;
}
