/**
 * Access tokens for the sandbox: RS256 JWTs shaped like Entra ID v1 access tokens, signed with a key
 * generated when the sandbox starts. The sandbox's services verify them (audience, expiry on the
 * sandbox clock, signature); the identity endpoint issues them and publishes `jwks()`.
 */
import {
  generateKeyPair,
  generateKeyPairSync,
  randomUUID,
  sign as cryptoSign,
  verify as cryptoVerify,
} from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import type { SandboxClock } from './clock';

/** Claims a caller may set on an issued token. Unset identity claims come from the issuer's default user. */
export interface TokenClaims {
  /** Tenant id. */
  tid?: string;
  /** Object id of the user or service principal. */
  oid?: string;
  /** Subject; defaults to `oid`. */
  sub?: string;
  name?: string;
  upn?: string;
  /** Delegated scopes, space separated (user tokens). */
  scp?: string;
  /** Application roles (app-only tokens). When set, `scp` is omitted unless given explicitly. */
  roles?: string[];
  /** Client (application) id that requested the token. */
  appid?: string;
  /** Any further claims (e.g. `ver`, `idtyp`, `nonce` for id tokens). */
  [claim: string]: unknown;
}

/** What `issue` takes: claims plus the audience and an optional lifetime. */
export type IssueRequest = TokenClaims & {
  /** The resource the token is for, e.g. `<base>/org/contoso` or `<base>/powerapps`. */
  audience: string;
  /** Lifetime in sandbox seconds; default the issuer's `lifetimeSeconds`. */
  lifetimeSeconds?: number;
};

/** The decoded payload of a sandbox token. */
export interface VerifiedClaims extends TokenClaims {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
}

/** Why a token was rejected. */
export type TokenRejection =
  'missing' | 'malformed' | 'expired' | 'notYetValid' | 'wrongAudience' | 'badSignature';

export type VerifyResult = { ok: true; claims: VerifiedClaims } | { ok: false; reason: TokenRejection };

/** The default signed-in user of the sandbox. */
export interface SandboxUser {
  oid: string;
  name: string;
  upn: string;
}

export interface TokenIssuerOptions {
  clock: SandboxClock;
  tenantId: string;
  /** `iss` claim; can be changed later with `setIssuer` once the identity endpoint's URL is known. */
  issuer?: string;
  /** Default access-token lifetime in sandbox seconds (default 3600, like Entra's ~60–90 min). */
  lifetimeSeconds?: number;
  /** Identity used when `issue` is given no `oid`/`name`/`upn`. */
  defaultUser?: SandboxUser;
  /** Client id put in `appid` when none is given. */
  defaultAppId?: string;
}

/** Tolerated clock skew for `nbf`, like Entra-protected services (5 minutes). */
const clockSkewSeconds = 300;

/** The Dataverse samples client id (reference 1.2), used as `appid` when none is given. */
const fallbackAppId = '51f81489-12ee-4a9e-aaae-a2591f45987d';

/** The user every sandbox token belongs to unless told otherwise. */
export const defaultSandboxUser: SandboxUser = {
  oid: 'a1b2c3d4-0000-4000-8000-000000000001',
  name: 'Sandbox Maker',
  upn: 'maker@sandbox.example',
};

interface RsaKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * One RSA key pair generated ahead in the background, so starting a sandbox (tests start many) does not
 * wait half a second for key generation. Each issuer still gets its own fresh key.
 */
let spareKey: RsaKeyPair | undefined;
let generatingSpare = false;

function refillSpare(): void {
  if (spareKey !== undefined || generatingSpare) {
    return;
  }
  generatingSpare = true;
  generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privateKey) => {
    generatingSpare = false;
    if (!err) {
      spareKey = { publicKey, privateKey };
    }
  });
}

function takeKeyPair(): RsaKeyPair {
  const key = spareKey ?? generateKeyPairSync('rsa', { modulusLength: 2048 });
  spareKey = undefined;
  refillSpare();
  return key;
}

/** Signs and verifies sandbox access tokens. */
export class TokenIssuer {
  /** Key id, also the `kid` header of every token and the JWKS entry. */
  readonly kid: string;
  readonly tenantId: string;
  /** Default lifetime in sandbox seconds; writable so tests can shorten it to exercise refresh. */
  lifetimeSeconds: number;
  private issuerValue: string;
  private readonly clock: SandboxClock;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly defaultUser: SandboxUser;
  private readonly defaultAppId: string;

  constructor(options: TokenIssuerOptions) {
    const { privateKey, publicKey } = takeKeyPair();
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.kid = randomUUID().replace(/-/g, '').slice(0, 16);
    this.clock = options.clock;
    this.tenantId = options.tenantId;
    this.issuerValue = options.issuer ?? `https://sts.windows.net/${options.tenantId}/`;
    this.lifetimeSeconds = options.lifetimeSeconds ?? 3600;
    this.defaultUser = options.defaultUser ?? defaultSandboxUser;
    this.defaultAppId = options.defaultAppId ?? fallbackAppId;
  }

  /** The `iss` claim put on new tokens. */
  get issuer(): string {
    return this.issuerValue;
  }

  setIssuer(issuer: string): void {
    this.issuerValue = issuer;
  }

  /** Issue an access token for `audience`. Times are sandbox-clock seconds. */
  issue(request: IssueRequest): string {
    const { audience, lifetimeSeconds, ...claims } = request;
    const now = Math.floor(this.clock.now() / 1000);
    const oid = claims.oid ?? this.defaultUser.oid;
    const appOnly = claims.roles !== undefined;
    const payload: Record<string, unknown> = {
      aud: audience,
      iss: this.issuerValue,
      iat: now,
      nbf: now,
      exp: now + (lifetimeSeconds ?? this.lifetimeSeconds),
      tid: this.tenantId,
      oid,
      sub: oid,
      appid: this.defaultAppId,
      ver: '1.0',
      ...(appOnly
        ? {}
        : { name: this.defaultUser.name, upn: this.defaultUser.upn, scp: 'user_impersonation' }),
      ...stripUndefined(claims),
    };
    if (claims.sub === undefined) {
      payload.sub = payload.oid;
    }
    return this.sign(payload);
  }

  /** Sign an arbitrary JWT payload (e.g. an id token) with the sandbox key. */
  sign(payload: Record<string, unknown>): string {
    const header = { alg: 'RS256', typ: 'JWT', kid: this.kid };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    const signature = cryptoSign('sha256', Buffer.from(signingInput), this.privateKey);
    return `${signingInput}.${signature.toString('base64url')}`;
  }

  /**
   * Check a token (with or without the `Bearer ` prefix) for `expectedAudience`. The audience matches
   * when equal ignoring case and one trailing slash, as Entra-protected services accept both forms.
   */
  verify(token: string | undefined, expectedAudience: string): VerifyResult {
    if (token === undefined || token.trim() === '') {
      return { ok: false, reason: 'missing' };
    }
    const raw = token.replace(/^bearer\s+/i, '').trim();
    const parts = raw.split('.');
    if (parts.length !== 3) {
      return { ok: false, reason: 'malformed' };
    }
    const [h, p, s] = parts as [string, string, string];
    let header: unknown;
    let payload: unknown;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (!isRecord(header) || header.alg !== 'RS256' || !isRecord(payload)) {
      return { ok: false, reason: 'malformed' };
    }
    if (typeof payload.exp !== 'number' || typeof payload.aud !== 'string') {
      return { ok: false, reason: 'malformed' };
    }
    const signatureOk = cryptoVerify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      this.publicKey,
      Buffer.from(s, 'base64url'),
    );
    if (!signatureOk) {
      return { ok: false, reason: 'badSignature' };
    }
    const now = this.clock.now() / 1000;
    if (payload.exp <= now) {
      return { ok: false, reason: 'expired' };
    }
    if (typeof payload.nbf === 'number' && payload.nbf > now + clockSkewSeconds) {
      return { ok: false, reason: 'notYetValid' };
    }
    if (!sameAudience(payload.aud, expectedAudience)) {
      return { ok: false, reason: 'wrongAudience' };
    }
    return { ok: true, claims: payload as VerifiedClaims };
  }

  /** The public signing key as a JSON Web Key Set, for the identity endpoint's `jwks_uri`. */
  jwks(): { keys: Record<string, unknown>[] } {
    const jwk: JsonWebKey = this.publicKey.export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: this.kid, use: 'sig', alg: 'RS256', kty: 'RSA' }] };
  }

  /** The public key in PEM form. */
  publicKeyPem(): string {
    return this.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }
}

/** Compare audiences ignoring case and a trailing slash. */
export function sameAudience(a: string, b: string): boolean {
  const norm = (x: string): string => x.trim().replace(/\/+$/, '').toLowerCase();
  return norm(a) === norm(b);
}

/** Decode a JWT payload without verifying it (for tests and diagnostics). */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const p = token.replace(/^bearer\s+/i, '').split('.')[1];
  if (p === undefined) {
    return undefined;
  }
  try {
    const v: unknown = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
