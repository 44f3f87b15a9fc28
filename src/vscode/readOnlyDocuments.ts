/**
 * Read-only documents the extension writes in memory ("Why Is It Waiting?", "Check Before Run"), served as a
 * read-only file system of their own scheme. The built-in Markdown preview watches the document it shows
 * through the file system; a scheme served only by a `TextDocumentContentProvider` has no file system, so the
 * workbench logged an error (`CodeExpectedError`: no file system provider) for every preview.
 * Setting a document's text again fires `onDidChangeFile`: its editor and preview show the new text.
 */
import * as vscode from 'vscode';

interface Entry {
  readonly data: Uint8Array;
  readonly ctime: number;
  readonly mtime: number;
}

export class ReadOnlyDocuments implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  private readonly registration: vscode.Disposable;
  private readonly missing: Uint8Array;

  /**
   * Serves `scheme`; a document it does not hold (one restored after a reload) reads as `missingText`, a
   * sentence saying how to get it again.
   */
  constructor(
    readonly scheme: string,
    missingText: string,
  ) {
    this.missing = new TextEncoder().encode(missingText);
    this.registration = vscode.workspace.registerFileSystemProvider(scheme, this, {
      isReadonly: true,
      isCaseSensitive: true,
    });
  }

  /** Sets the text of the document `uri` (of this scheme), and tells its open editors and previews. */
  set(uri: vscode.Uri, text: string): void {
    const key = uri.toString();
    const before = this.entries.get(key);
    const now = Date.now();
    this.entries.set(key, {
      data: new TextEncoder().encode(text),
      ctime: before?.ctime ?? now,
      // Editors reload a document only when its modification time changed.
      mtime: before === undefined ? now : Math.max(now, before.mtime + 1),
    });
    this.changed.fire([
      { type: before === undefined ? vscode.FileChangeType.Created : vscode.FileChangeType.Changed, uri },
    ]);
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    const entry = this.entries.get(uri.toString());
    return {
      type: vscode.FileType.File,
      ctime: entry?.ctime ?? 0,
      mtime: entry?.mtime ?? 0,
      size: (entry?.data ?? this.missing).byteLength,
      permissions: vscode.FilePermission.Readonly,
    };
  }

  readFile(uri: vscode.Uri): Uint8Array {
    return this.entries.get(uri.toString())?.data ?? this.missing;
  }

  /** Every change is reported through `onDidChangeFile` whether watched or not. */
  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  readDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.FileNotADirectory(uri);
  }

  createDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  writeFile(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
