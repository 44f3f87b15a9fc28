/**
 * Who exists in the sandbox tenant: its users and its registered applications.
 *
 * SANDBOX-ONLY TEST CREDENTIALS. The client secret and the certificate private key below are published
 * on purpose so tests, the CLI and "Try the Sandbox" can sign in as service principals against the local
 * identity endpoint. They are accepted by nothing but this sandbox; never reuse them anywhere else.
 */
import { X509Certificate } from 'node:crypto';
import { defaultSandboxUser } from '../tokens';

/** A user who can sign in to the sandbox tenant. */
export interface SandboxIdentityUser {
  /** Object id; becomes `oid`/`sub` of the user's tokens and `uid` of `client_info`. */
  readonly oid: string;
  readonly name: string;
  /** Sign-in name (`preferred_username` / `upn`); also what `login_hint` matches. */
  readonly upn: string;
}

/** An application registered in the sandbox tenant. */
export interface SandboxClientRegistration {
  readonly clientId: string;
  readonly displayName: string;
  /** `public` = mobile and desktop (no credential); `confidential` = needs a secret or a certificate. */
  readonly kind: 'public' | 'confidential';
  /**
   * Registered redirect URIs. As in Entra, a registered `http://localhost` also accepts any port and
   * `http://127.0.0.1`.
   */
  readonly redirectUris: readonly string[];
  /** Client secrets (confidential clients). */
  readonly secrets: readonly string[];
  /** Certificates (PEM) whose private keys may sign client assertions (confidential clients). */
  readonly certificates: readonly string[];
  /** Object id of the app's service principal in the tenant (the `oid` of app-only tokens). */
  readonly servicePrincipalId: string;
}

/** Users and applications of a sandbox tenant. */
export interface SandboxIdentitySeed {
  /** The first user is the one who signs in when the sign-in does not name anyone. */
  readonly users: readonly SandboxIdentityUser[];
  readonly clients: readonly SandboxClientRegistration[];
}

/** The documented Dataverse sample public client; the default client id of the extension. */
export const sandboxPublicClientId = '51f81489-12ee-4a9e-aaae-a2591f45987d';

/** A second signed-in user, so several accounts can be exercised. */
export const sandboxSecondUser: SandboxIdentityUser = {
  oid: 'a1b2c3d4-0000-4000-8000-000000000002',
  name: 'Sandbox Admin',
  upn: 'admin@sandbox.example',
};

/** SANDBOX-ONLY: a service principal that authenticates with a client secret. */
export const sandboxSecretCredential = {
  clientId: 'f1e2d3c4-0000-4000-8000-5ec7e7000001',
  servicePrincipalId: 'f1e2d3c4-0000-4000-8000-0000005e0001',
  clientSecret: 'sandbox-only~Q8x.Desktop-Flows-Test-Secret-0001',
} as const;

/**
 * SANDBOX-ONLY: a service principal that authenticates with a certificate (RSA 2048, valid until 2126). The
 * identity endpoint needs only the public certificate; the private key lives with the tests
 * (test/fixtures/sandboxCertificateKey.ts), so no private key ships in the extension bundle.
 */
export const sandboxCertificateCredential = {
  clientId: 'f1e2d3c4-0000-4000-8000-ce47e7000002',
  servicePrincipalId: 'f1e2d3c4-0000-4000-8000-0000005e0002',
  certificatePem: `-----BEGIN CERTIFICATE-----
MIIDZTCCAk2gAwIBAgIUTSO6walyXr7LiuTXb7NYbPN2piIwDQYJKoZIhvcNAQEL
BQAwQTE/MD0GA1UEAww2RGVza3RvcCBGbG93cyBTYW5kYm94IFNlcnZpY2UgUHJp
bmNpcGFsIChzYW5kYm94IG9ubHkpMCAXDTI2MTEyMzAwNTIwMVoYDzIxMjYxMDMw
MDA1MjAxWjBBMT8wPQYDVQQDDDZEZXNrdG9wIEZsb3dzIFNhbmRib3ggU2Vydmlj
ZSBQcmluY2lwYWwgKHNhbmRib3ggb25seSkwggEiMA0GCSqGSIb3DQEBAQUAA4IB
DwAwggEKAoIBAQDNPvHCdimtM5YlqJ0wMAmLIRRZ6VADbBPYMWe8EDtBuds3I0JG
M0LAikwpXQPqJQ6mAd/UMXT94RHPeYKWf/YH/pKHYJYrD3zPPTmYYxeUQFwQ+GIr
Eok5eJdsih7sKCI5JnlKpCX+6PI7HRNc6SxkEhLnqP+y2GsdgeirNpL9MtGnMmC2
rm5fneWsr9X9/PVLNhSEfI3rmPVV6xsxyGINLvwfbpOcEkkrI/cOednzNuem2gaQ
2ZpF8uTD9mLA7bwTfGuEiWNQt01fxL8B5K7vpQjJOe2rue3zb74E6al937RJ1tzh
SRz6Ed+Za4MUE/39I4gd50UYdWvgyHYEbHSNAgMBAAGjUzBRMB0GA1UdDgQWBBTu
Yt/EMTwIX3mfPA0mwqJK3/s13zAfBgNVHSMEGDAWgBTuYt/EMTwIX3mfPA0mwqJK
3/s13zAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQCcfqMLuzUH
2LXkWsFPEuOSjgw0ZJc+AsmfovgnPPcYq1fEKfX24xha/jBvxhCGtoCMZxbc2wax
MOe4qRDC3JQ5OSphmOqKVqLA53+aCyMbRRQbXIl4tQ68jvLniLjyrGOz7mmAxNX9
/U6zFNQjzC9bjiAkNdjab06FU1jRZDtCRnDstC+Gu9/7q92mMc2pHIwRQ5ovy6E7
N4P/aL+txXHj+WHE4bWpeV2CzZKi9P94mZgdznu2QkojcdBHMbUHuWKKAibpvQit
b54mJxml7onYioUoyJayTWHC2+NpfKlgMqyRqQjJzahgeayZw7LWFXQVzWEYEB2m
0/Wyi5K8REMK
-----END CERTIFICATE-----
`,
} as const;

/** SHA-256 thumbprint (hex, upper case) of a PEM certificate, as Entra shows it. */
export function certificateThumbprintSha256(certificatePem: string): string {
  return new X509Certificate(certificatePem).fingerprint256.replace(/:/g, '');
}

/** The default sandbox tenant: two users, the public client and the two service principals. */
export function defaultIdentitySeed(): SandboxIdentitySeed {
  return {
    users: [{ ...defaultSandboxUser }, sandboxSecondUser],
    clients: [
      {
        clientId: sandboxPublicClientId,
        displayName: 'Dataverse sample public client',
        kind: 'public',
        redirectUris: ['http://localhost', 'app://58145B91-0C36-4500-8554-080854F2AC97'],
        secrets: [],
        certificates: [],
        servicePrincipalId: '51f81489-0000-4000-8000-00000000a001',
      },
      {
        clientId: sandboxSecretCredential.clientId,
        displayName: 'Sandbox automation (secret)',
        kind: 'confidential',
        redirectUris: [],
        secrets: [sandboxSecretCredential.clientSecret],
        certificates: [],
        servicePrincipalId: sandboxSecretCredential.servicePrincipalId,
      },
      {
        clientId: sandboxCertificateCredential.clientId,
        displayName: 'Sandbox automation (certificate)',
        kind: 'confidential',
        redirectUris: [],
        secrets: [],
        certificates: [sandboxCertificateCredential.certificatePem],
        servicePrincipalId: sandboxCertificateCredential.servicePrincipalId,
      },
    ],
  };
}
