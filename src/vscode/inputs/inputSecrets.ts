import * as vscode from 'vscode';
import type { ReferenceKind, SecretResolver } from '../../core/inputs/secretReference';
import { throwIfAborted } from '../../core/util/abort';
import { secretMasker } from '../../core/util/secretMasker';

/** SecretStorage key prefix of the values `${secret:NAME}` references resolve to. */
export const secretKeyPrefix = 'desktopFlows.secret.';

/** globalState key of the list of stored secret names (never their values). */
const namesKey = 'desktopFlows.secretNames';

/** What Set Secret accepts as a name: environment-variable style, so `${secret:NAME}` reads the same everywhere. */
export const secretNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The secrets `${secret:NAME}` references in input files resolve to. Values live in VS Code's
 * SecretStorage (the OS keychain); the names are also kept in globalState, because SecretStorage cannot
 * list its keys and Delete Secret and the diagnostics need to know which names exist.
 */
export class InputSecrets implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a secret is set or deleted (in this window or another). */
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly storage: vscode.SecretStorage,
    private readonly state: vscode.Memento,
  ) {
    this.subscription = storage.onDidChange((e) => {
      if (e.key.startsWith(secretKeyPrefix)) {
        this.changed.fire();
      }
    });
  }

  /** Names of the stored secrets, sorted. */
  names(): string[] {
    const names = this.state.get<unknown>(namesKey);
    return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string').sort() : [];
  }

  has(name: string): boolean {
    return this.names().includes(name);
  }

  async get(name: string): Promise<string | undefined> {
    const value = await this.storage.get(secretKeyPrefix + name);
    // Masked from the moment it leaves the store.
    secretMasker.add(value);
    return value;
  }

  async set(name: string, value: string): Promise<void> {
    if (!secretNamePattern.test(name)) {
      throw new RangeError(`Invalid secret name: ${name}`);
    }
    secretMasker.add(value);
    await this.storage.store(secretKeyPrefix + name, value);
    if (!this.has(name)) {
      await this.state.update(namesKey, [...this.names(), name].sort());
    }
    this.changed.fire();
  }

  async delete(name: string): Promise<void> {
    await this.storage.delete(secretKeyPrefix + name);
    await this.state.update(
      namesKey,
      this.names().filter((n) => n !== name),
    );
    this.changed.fire();
  }

  /**
   * The resolver `prepareRunInputs` calls at trigger time: `${secret:NAME}` from SecretStorage,
   * `${env:NAME}` from the extension host's environment.
   */
  readonly resolver: SecretResolver = async (kind: ReferenceKind, name: string, signal: AbortSignal) => {
    throwIfAborted(signal);
    switch (kind) {
      case 'secret':
        return this.get(name);
      case 'env': {
        const value = process.env[name];
        secretMasker.add(value);
        return value;
      }
    }
  };

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
