import type * as vscode from 'vscode';

/**
 * The base of every UI object that owns subscriptions, UI objects or timers: `register()` what it owns,
 * and `dispose()` releases all of it once, newest first. A failing `dispose()` of one part does not keep
 * the others alive. Subclasses that need more override `dispose()` and call `super.dispose()`.
 */
export abstract class DisposableBase implements vscode.Disposable {
  private readonly owned: vscode.Disposable[] = [];
  private disposed = false;

  /**
   * Takes ownership of `first` (and `more`): disposed with this object, or at once when this object is
   * already disposed. Returns `first`, so `this.item = this.register(createItem())` reads naturally.
   */
  protected register<T extends vscode.Disposable>(first: T, ...more: vscode.Disposable[]): T {
    for (const d of [first, ...more]) {
      if (this.disposed) {
        d.dispose();
      } else {
        this.owned.push(d);
      }
    }
    return first;
  }

  /** True once `dispose()` ran. */
  protected get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    this.disposed = true;
    const errors: unknown[] = [];
    for (const d of this.owned.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length === 1) {
      throw errors[0];
    }
    if (errors.length > 1) {
      throw new AggregateError(errors, 'Several parts failed to dispose.');
    }
  }
}
