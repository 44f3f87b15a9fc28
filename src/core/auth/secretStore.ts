/**
 * Where secrets are kept: the msal token cache, service-principal secrets and certificate keys, and the
 * list of signed-in accounts. The VS Code layer backs it with `context.secrets` (SecretStorage, the OS
 * keychain), which satisfies this interface structurally; tests and the CLI can use `MemorySecretStore`.
 * Nothing here is ever written to settings, files or logs.
 */
export interface SecretStore {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

/** A `SecretStore` in memory (tests, and the CLI when no keychain is wanted). */
export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<string, string>();

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.values.get(key));
  }

  store(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.values.delete(key);
    return Promise.resolve();
  }

  /** The keys currently held (for tests checking what sign-out removed). */
  keys(): string[] {
    return [...this.values.keys()];
  }
}
