/**
 * msal's cache plugin (`ICachePlugin`, docs/service-contract.md#authentication-scopes) over a `SecretStore`: the serialized token cache
 * lives in the keychain-backed secret store under one key per authority host and client id, never in
 * settings or files.
 */
import type { SecretStore } from './secretStore';

/** msal's `ISerializableTokenCache`, structurally. */
export interface SerializableTokenCache {
  deserialize(cache: string): void;
  serialize(): string;
}

/** msal's `TokenCacheContext`, structurally. */
export interface TokenCacheContextLike {
  readonly tokenCache: SerializableTokenCache;
  readonly cacheHasChanged: boolean;
}

/** An msal `ICachePlugin` persisting to a `SecretStore`. */
export class SecretStoreCachePlugin {
  constructor(
    private readonly store: SecretStore,
    /** The secret-store key, e.g. `desktopFlows.msal.<host>.<client id>`. */
    readonly key: string,
  ) {}

  /**
   * Load the persisted cache. msal rebuilds its in-memory cache from what this hook deserializes before
   * every silent lookup, so it must always deserialize: an empty cache when nothing is stored (e.g. after
   * the last account signed out), or msal would bring back what it held before.
   */
  async beforeCacheAccess(context: TokenCacheContextLike): Promise<void> {
    const stored = await this.store.get(this.key);
    context.tokenCache.deserialize(stored === undefined || stored === '' ? '{}' : stored);
  }

  /** Persist the cache when msal changed it. */
  async afterCacheAccess(context: TokenCacheContextLike): Promise<void> {
    if (context.cacheHasChanged) {
      await this.store.store(this.key, context.tokenCache.serialize());
    }
  }

  /** Remove the persisted cache (the last account of this cache signed out). */
  async clear(): Promise<void> {
    await this.store.delete(this.key);
  }
}
