/**
 * The sandbox tenant's state: who is registered, which grants (authorization codes, device codes,
 * refresh tokens) are outstanding, which resources still need consent, and the knobs tests turn
 * (token lifetimes, expiring or revoking refresh tokens, requiring MFA). All expiry is measured on the
 * sandbox clock. The HTTP endpoints are thin layers over this class.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SandboxClock } from '../clock';
import type { TokenIssuer } from '../tokens';
import type { SandboxClientRegistration, SandboxIdentitySeed, SandboxIdentityUser } from './identitySeed';
import { defaultIdentitySeed } from './identitySeed';
import { invalidClient, invalidGrant, OAuthError } from './oauthError';
import { anyResourceWithoutTrailingSlash } from './scopes';

/** Behaviour of the sandbox identity endpoint. Every value has a default. */
export interface IdentitySettings {
  /** Access-token lifetime in sandbox seconds (default 600: short, so expiry and refresh get exercised). */
  accessTokenLifetimeSeconds: number;
  /** Refresh-token lifetime in sandbox seconds (default 90 days, like Entra's inactivity window). */
  refreshTokenLifetimeSeconds: number;
  /** Authorization-code lifetime in sandbox seconds (default 600). */
  authorizationCodeLifetimeSeconds: number;
  /** Device-code lifetime in sandbox seconds (default 900, as Entra). */
  deviceCodeLifetimeSeconds: number;
  /**
   * Polling interval the device-code response asks for, in seconds (default 5, as Entra). msal waits
   * this long between polls; tests use a fraction of a second.
   */
  deviceCodeIntervalSeconds: number;
  /**
   * Approve device codes on their own after this many sandbox milliseconds (0: as they are issued, so the
   * client's first poll already gets its tokens); undefined = never.
   */
  deviceCodeAutoApproveAfterMs: number | undefined;
}

/** What `IdentityState` is built from. */
export interface IdentityStateOptions extends Partial<IdentitySettings> {
  issuer: TokenIssuer;
  clock: SandboxClock;
  tenantId: string;
  /** Verified domain of the tenant; also accepted as the authority's tenant segment. Default `sandbox.example`. */
  tenantDomain?: string;
  /** Users and applications; default `defaultIdentitySeed()`. */
  seed?: SandboxIdentitySeed;
  /** Users of the tenant, replacing the seed's (e.g. the sandbox data's users); the first is the default. */
  users?: readonly SandboxIdentityUser[];
  /** Whether a resource identifier URI is registered; default any http(s) URI without a trailing slash. */
  isResource?: (resource: string) => boolean;
}

/** An issued, not yet redeemed authorization code. */
export interface AuthorizationCodeGrant {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly user: SandboxIdentityUser;
  readonly codeChallenge: string | undefined;
  readonly codeChallengeMethod: string | undefined;
  readonly nonce: string | undefined;
  readonly expiresAt: number;
  redeemed: boolean;
}

/** A device-code sign-in waiting for the user. */
export interface DeviceCodeGrant {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly clientId: string;
  readonly scope: string;
  readonly expiresAt: number;
  status: 'pending' | 'approved' | 'declined' | 'redeemed';
  user: SandboxIdentityUser | undefined;
  autoApproveTimer: number | undefined;
}

/** A device code as shown to whoever approves it. */
export interface PendingDeviceCode {
  readonly userCode: string;
  readonly clientId: string;
  readonly scope: string;
}

interface RefreshGrant {
  readonly clientId: string;
  readonly user: SandboxIdentityUser;
  expiresAt: number;
  revoked: boolean;
}

/** Which refresh tokens a test operation applies to; empty = all. */
export interface RefreshTokenFilter {
  /** Sign-in name of the user. */
  username?: string;
  clientId?: string;
}

/** How many requests each endpoint served (successful or not), for tests and diagnostics. */
export interface IdentityStats {
  authorize: number;
  deviceCode: number;
  token: Record<TokenGrantType, number>;
  /** Token requests answered with an error. */
  tokenErrors: number;
}

export type TokenGrantType = 'authorization_code' | 'refresh_token' | 'device_code' | 'client_credentials';

const userCodeAlphabet = 'BCDFGHJKLMNPQRSTVWXZ23456789';

/** State and grant logic of the sandbox identity endpoint. */
export class IdentityState {
  readonly issuer: TokenIssuer;
  readonly clock: SandboxClock;
  readonly tenantId: string;
  readonly tenantDomain: string;
  readonly settings: IdentitySettings;
  readonly stats: IdentityStats = {
    authorize: 0,
    deviceCode: 0,
    token: { authorization_code: 0, refresh_token: 0, device_code: 0, client_credentials: 0 },
    tokenErrors: 0,
  };
  readonly isResource: (resource: string) => boolean;
  private readonly users: readonly SandboxIdentityUser[];
  private readonly clients: ReadonlyMap<string, SandboxClientRegistration>;
  private readonly codes = new Map<string, AuthorizationCodeGrant>();
  private readonly deviceCodes = new Map<string, DeviceCodeGrant>();
  private readonly refreshTokens = new Map<string, RefreshGrant>();
  /** `<clientId or *>|<resource>` pairs that answer AADSTS65001 until the user consents interactively. */
  private readonly consentNeeded = new Set<string>();
  /** Users (by oid) whose refresh tokens answer AADSTS50076 until they sign in interactively. */
  private readonly mfaNeeded = new Set<string>();

  constructor(options: IdentityStateOptions) {
    this.issuer = options.issuer;
    this.clock = options.clock;
    this.tenantId = options.tenantId;
    this.tenantDomain = options.tenantDomain ?? 'sandbox.example';
    this.isResource = options.isResource ?? anyResourceWithoutTrailingSlash;
    const seed = options.seed ?? defaultIdentitySeed();
    if ((options.users ?? seed.users).length === 0) {
      throw new RangeError('The sandbox tenant needs at least one user');
    }
    this.users = (options.users ?? seed.users).map((u) => ({ oid: u.oid, name: u.name, upn: u.upn }));
    this.clients = new Map(seed.clients.map((c) => [c.clientId.toLowerCase(), c]));
    this.settings = {
      accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 600,
      refreshTokenLifetimeSeconds: options.refreshTokenLifetimeSeconds ?? 90 * 24 * 3600,
      authorizationCodeLifetimeSeconds: options.authorizationCodeLifetimeSeconds ?? 600,
      deviceCodeLifetimeSeconds: options.deviceCodeLifetimeSeconds ?? 900,
      deviceCodeIntervalSeconds: options.deviceCodeIntervalSeconds ?? 5,
      deviceCodeAutoApproveAfterMs: options.deviceCodeAutoApproveAfterMs,
    };
  }

  /** True when `segment` (the authority's first path segment) names this tenant or a multi-tenant alias. */
  acceptsTenant(segment: string): boolean {
    const s = segment.toLowerCase();
    return (
      s === this.tenantId.toLowerCase() ||
      s === this.tenantDomain.toLowerCase() ||
      s === 'organizations' ||
      s === 'common'
    );
  }

  findClient(clientId: string | undefined): SandboxClientRegistration | undefined {
    return clientId === undefined ? undefined : this.clients.get(clientId.toLowerCase());
  }

  /** The registered client, or AADSTS700016 as Entra answers for an unknown application. */
  requireClient(clientId: string | undefined): SandboxClientRegistration {
    const client = this.findClient(clientId);
    if (client === undefined) {
      if (clientId === undefined || clientId === '') {
        throw new OAuthError(
          400,
          'invalid_request',
          900144,
          "The request body must contain the following parameter: 'client_id'.",
        );
      }
      throw new OAuthError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${this.tenantDomain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    return client;
  }

  /** The user a sign-in is for: the one `hint` names (sign-in name, case-insensitive) or the default user. */
  findUser(hint: string | undefined): SandboxIdentityUser | undefined {
    if (hint === undefined || hint.trim() === '') {
      return this.users[0];
    }
    const h = hint.trim().toLowerCase();
    return this.users.find((u) => u.upn.toLowerCase() === h);
  }

  /** Every user of the tenant. */
  allUsers(): readonly SandboxIdentityUser[] {
    return this.users;
  }

  /** Entra's redirect-URI rule: exact match, or a registered `http://localhost` / `http://127.0.0.1` with any port. */
  redirectUriAllowed(client: SandboxClientRegistration, redirectUri: string): boolean {
    let asked: URL;
    try {
      asked = new URL(redirectUri);
    } catch {
      return false;
    }
    return client.redirectUris.some((registered) => {
      if (registered === redirectUri) {
        return true;
      }
      let r: URL;
      try {
        r = new URL(registered);
      } catch {
        return false;
      }
      const loopback = (u: URL): boolean =>
        u.protocol === 'http:' && (u.hostname === 'localhost' || u.hostname === '127.0.0.1');
      return loopback(r) && loopback(asked) && r.pathname === asked.pathname;
    });
  }

  // ---- authorization codes ----

  createAuthorizationCode(grant: Omit<AuthorizationCodeGrant, 'expiresAt' | 'redeemed'>): string {
    this.prune();
    const code = `0.sbx.${randomBytes(48).toString('base64url')}`;
    this.codes.set(code, {
      ...grant,
      expiresAt: this.clock.now() + this.settings.authorizationCodeLifetimeSeconds * 1000,
      redeemed: false,
    });
    return code;
  }

  /** Redeem a code once, checking client, redirect URI and the PKCE verifier (RFC 7636). */
  redeemAuthorizationCode(
    code: string | undefined,
    clientId: string,
    redirectUri: string | undefined,
    codeVerifier: string | undefined,
  ): AuthorizationCodeGrant {
    const grant = code === undefined ? undefined : this.codes.get(code);
    if (grant === undefined) {
      throw invalidGrant(70000, "The provided value for the 'code' parameter is not valid.");
    }
    if (grant.redeemed) {
      throw invalidGrant(
        54005,
        'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
      );
    }
    if (grant.expiresAt <= this.clock.now()) {
      throw invalidGrant(
        70008,
        'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
      );
    }
    if (grant.clientId.toLowerCase() !== clientId.toLowerCase()) {
      throw invalidGrant(
        70000,
        "The provided value for the 'code' parameter is not valid. The code was issued to a different client.",
      );
    }
    if (redirectUri !== grant.redirectUri) {
      throw invalidGrant(
        500112,
        'The reply address does not match the reply address that was used to obtain the authorization code.',
      );
    }
    if (grant.codeChallenge !== undefined) {
      if (codeVerifier === undefined || codeVerifier.length < 43 || codeVerifier.length > 128) {
        throw invalidGrant(501491, 'Invalid size of Code_Verifier parameter.');
      }
      const computed =
        grant.codeChallengeMethod === 'plain'
          ? codeVerifier
          : createHash('sha256').update(codeVerifier).digest('base64url');
      if (!safeEqual(computed, grant.codeChallenge)) {
        throw invalidGrant(
          501481,
          'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
        );
      }
    }
    grant.redeemed = true;
    return grant;
  }

  // ---- device codes ----

  createDeviceCode(clientId: string, scope: string): DeviceCodeGrant {
    this.prune();
    let userCode: string;
    do {
      userCode = Array.from(randomBytes(9), (b) => userCodeAlphabet[b % userCodeAlphabet.length]).join('');
    } while (this.findDeviceCodeByUserCode(userCode) !== undefined);
    const grant: DeviceCodeGrant = {
      deviceCode: randomBytes(48).toString('base64url'),
      userCode,
      clientId,
      scope,
      expiresAt: this.clock.now() + this.settings.deviceCodeLifetimeSeconds * 1000,
      status: 'pending',
      user: undefined,
      autoApproveTimer: undefined,
    };
    this.deviceCodes.set(grant.deviceCode, grant);
    const delay = this.settings.deviceCodeAutoApproveAfterMs;
    if (delay === 0) {
      // Nobody has to type the code: approved before it is even handed out, no polling round is wasted.
      this.approveDeviceCode(grant.userCode);
    } else if (delay !== undefined) {
      grant.autoApproveTimer = this.clock.setTimeout(() => {
        grant.autoApproveTimer = undefined;
        this.approveDeviceCode(grant.userCode);
      }, delay);
    }
    return grant;
  }

  /**
   * The user enters `userCode` and approves (consenting to what the app asked for). Returns false when
   * no pending, unexpired code matches or `username` is not a user of the tenant.
   */
  approveDeviceCode(userCode: string, username?: string): boolean {
    const grant = this.findDeviceCodeByUserCode(userCode);
    const user = this.findUser(username);
    if (
      grant === undefined ||
      grant.status !== 'pending' ||
      grant.expiresAt <= this.clock.now() ||
      user === undefined
    ) {
      return false;
    }
    grant.status = 'approved';
    grant.user = user;
    this.completedInteractiveSignIn(grant.clientId, user, grant.scope);
    return true;
  }

  /** The user declines the device-code sign-in. */
  declineDeviceCode(userCode: string): boolean {
    const grant = this.findDeviceCodeByUserCode(userCode);
    if (grant === undefined || grant.status !== 'pending') {
      return false;
    }
    grant.status = 'declined';
    return true;
  }

  /** Device codes still waiting for a user. */
  pendingDeviceCodes(): PendingDeviceCode[] {
    const now = this.clock.now();
    return [...this.deviceCodes.values()]
      .filter((g) => g.status === 'pending' && g.expiresAt > now)
      .map((g) => ({ userCode: g.userCode, clientId: g.clientId, scope: g.scope }));
  }

  /** One poll of the token endpoint with a device code (RFC 8628 section 3.5 answers). */
  pollDeviceCode(
    deviceCode: string | undefined,
    clientId: string,
  ): DeviceCodeGrant & { user: SandboxIdentityUser } {
    const grant = deviceCode === undefined ? undefined : this.deviceCodes.get(deviceCode);
    const unknown = new OAuthError(
      400,
      'bad_verification_code',
      70019,
      'Verification code expired or was not recognized.',
    );
    if (grant === undefined || grant.clientId.toLowerCase() !== clientId.toLowerCase()) {
      throw unknown;
    }
    if (grant.status !== 'redeemed' && grant.expiresAt <= this.clock.now()) {
      throw new OAuthError(
        400,
        'expired_token',
        70020,
        'The provided value for the input parameter device_code is expired.',
      );
    }
    switch (grant.status) {
      case 'redeemed':
        throw unknown;
      case 'pending':
        throw new OAuthError(
          400,
          'authorization_pending',
          70016,
          'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
        );
      case 'declined':
        throw new OAuthError(400, 'authorization_declined', 70018, 'The user declined the sign-in request.');
      case 'approved': {
        const user = grant.user;
        if (user === undefined) {
          throw new OAuthError(500, 'server_error', 0, 'Approved device code has no user.');
        }
        grant.status = 'redeemed';
        return { ...grant, user };
      }
    }
  }

  private findDeviceCodeByUserCode(userCode: string): DeviceCodeGrant | undefined {
    const wanted = userCode.replace(/[\s-]/g, '').toUpperCase();
    return [...this.deviceCodes.values()].find((g) => g.userCode === wanted);
  }

  // ---- refresh tokens ----

  createRefreshToken(clientId: string, user: SandboxIdentityUser): string {
    this.prune();
    const token = `1.sbx.${randomBytes(64).toString('base64url')}`;
    this.refreshTokens.set(token, {
      clientId,
      user,
      expiresAt: this.clock.now() + this.settings.refreshTokenLifetimeSeconds * 1000,
      revoked: false,
    });
    return token;
  }

  /** Check a refresh token for `clientId`; Entra's answers for expired, revoked and MFA-blocked grants. */
  useRefreshToken(token: string | undefined, clientId: string): { user: SandboxIdentityUser } {
    const grant = token === undefined ? undefined : this.refreshTokens.get(token);
    if (grant === undefined) {
      throw invalidGrant(9002313, 'Invalid request. Request is malformed or invalid.', 'bad_token');
    }
    if (grant.clientId.toLowerCase() !== clientId.toLowerCase()) {
      throw invalidGrant(70000, 'The refresh token was issued to a different client id.');
    }
    if (grant.revoked) {
      throw invalidGrant(
        50173,
        'The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.',
      );
    }
    if (grant.expiresAt <= this.clock.now()) {
      throw invalidGrant(
        700082,
        'The refresh token has expired due to inactivity. The token was issued on an earlier date and was inactive for too long.',
      );
    }
    if (this.mfaNeeded.has(grant.user.oid)) {
      throw invalidGrant(
        50076,
        'Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.',
        'basic_action',
      );
    }
    return { user: grant.user };
  }

  /** Make matching refresh tokens expired (the next refresh answers AADSTS700082). Returns how many. */
  expireRefreshTokens(filter: RefreshTokenFilter = {}): number {
    const now = this.clock.now();
    return this.updateRefreshTokens(filter, (g) => {
      g.expiresAt = Math.min(g.expiresAt, now);
    });
  }

  /** Revoke matching refresh tokens (the next refresh answers AADSTS50173). Returns how many. */
  revokeRefreshTokens(filter: RefreshTokenFilter = {}): number {
    return this.updateRefreshTokens(filter, (g) => {
      g.revoked = true;
    });
  }

  private updateRefreshTokens(filter: RefreshTokenFilter, update: (g: RefreshGrant) => void): number {
    let n = 0;
    for (const g of this.refreshTokens.values()) {
      if (
        (filter.username === undefined || g.user.upn.toLowerCase() === filter.username.toLowerCase()) &&
        (filter.clientId === undefined || g.clientId.toLowerCase() === filter.clientId.toLowerCase())
      ) {
        update(g);
        n++;
      }
    }
    return n;
  }

  // ---- consent and interaction ----

  /**
   * From now on, delegated tokens for `resource` (for `clientId`, or any client) answer AADSTS65001
   * `consent_required` until the user signs in interactively and consents.
   */
  requireConsent(resource: string, clientId?: string): void {
    this.consentNeeded.add(consentKey(clientId, resource));
  }

  /** True when a delegated token for `resource` must first be consented to. */
  needsConsent(clientId: string, resource: string | undefined): boolean {
    return (
      resource !== undefined &&
      (this.consentNeeded.has(consentKey(clientId, resource)) ||
        this.consentNeeded.has(consentKey(undefined, resource)))
    );
  }

  /** The AADSTS65001 answer for a delegated request that lacks consent. */
  consentError(client: SandboxClientRegistration, resource: string): OAuthError {
    return invalidGrant(
      65001,
      `The user or administrator has not consented to use the application with ID '${client.clientId}' named '${client.displayName}'. Send an interactive authorization request for this user and resource (${resource}).`,
      'consent_required',
    );
  }

  /** From now on the user's refresh tokens answer AADSTS50076 (MFA needed) until an interactive sign-in. */
  requireMfa(username?: string): void {
    for (const u of this.users) {
      if (username === undefined || u.upn.toLowerCase() === username.toLowerCase()) {
        this.mfaNeeded.add(u.oid);
      }
    }
  }

  /** An interactive sign-in (browser or device code) satisfies MFA and grants consent for what it asked. */
  completedInteractiveSignIn(clientId: string, user: SandboxIdentityUser, scope: string): void {
    this.mfaNeeded.delete(user.oid);
    for (const s of scope.split(/\s+/)) {
      const i = s.lastIndexOf('/');
      if (i > 0) {
        const resource = s.slice(0, i);
        this.consentNeeded.delete(consentKey(clientId, resource));
        this.consentNeeded.delete(consentKey(undefined, resource));
      }
    }
  }

  // ---- client authentication ----

  /** Check a client secret against the registration (AADSTS7000215 when wrong). */
  checkClientSecret(client: SandboxClientRegistration, secret: string): void {
    if (!client.secrets.some((s) => safeEqual(s, secret))) {
      throw invalidClient(
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`,
      );
    }
  }

  /** Stop timers (auto-approval) and forget every grant. */
  dispose(): void {
    for (const g of this.deviceCodes.values()) {
      this.clock.clearTimeout(g.autoApproveTimer);
    }
    this.codes.clear();
    this.deviceCodes.clear();
    this.refreshTokens.clear();
  }

  /** Drop grants that can no longer be used, so a long-running sandbox does not grow without bound. */
  private prune(): void {
    const now = this.clock.now();
    for (const [k, g] of this.codes) {
      // Redeemed codes stay until they expire, so a second redemption gets AADSTS54005.
      if (g.expiresAt <= now) {
        this.codes.delete(k);
      }
    }
    for (const [k, g] of this.deviceCodes) {
      // Keep expired device codes a little so a late poll still gets `expired_token`.
      if (g.status === 'redeemed' || g.expiresAt + 60_000 <= now) {
        this.clock.clearTimeout(g.autoApproveTimer);
        this.deviceCodes.delete(k);
      }
    }
    for (const [k, g] of this.refreshTokens) {
      // Expired and revoked tokens stay for a day so their owners get the precise error.
      if (g.expiresAt + 24 * 3600_000 <= now) {
        this.refreshTokens.delete(k);
      }
    }
  }
}

function consentKey(clientId: string | undefined, resource: string): string {
  return `${(clientId ?? '*').toLowerCase()}|${resource.replace(/\/+$/, '').toLowerCase()}`;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
