/**
 * Read-only documents the extension makes, each scheme served as a read-only file system of its own:
 * `ReadOnlyDocuments` for text written in memory ("Why Is It Waiting?", "Check Before Run"),
 * `ProducedDocuments` for text produced on the first read (run documents, read over the network).
 * The built-in Markdown preview watches the document it shows through the file system; a scheme served only
 * by a `TextDocumentContentProvider` has no file system, so the workbench logged an error
 * (`CodeExpectedError`: no file system provider) for every preview.
 * A document whose text changes fires `onDidChangeFile`: its editor and preview show the new text.
 */
import * as vscode from 'vscode';
import { readOnlyFileSystemOptions, registerFileSystemProvider } from './onFirstUse';

interface Entry {
  readonly data: Uint8Array;
  readonly ctime: number;
  readonly mtime: number;
}

/** What both kinds share: the texts held per URI, change events, and refusing everything but reading. */
abstract class ReadOnlyFileSystem implements vscode.FileSystemProvider, vscode.Disposable {
  protected readonly entries = new Map<string, Entry>();
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  private readonly registration: vscode.Disposable;

  constructor(readonly scheme: string) {
    this.registration = registerFileSystemProvider(scheme, this, readOnlyFileSystemOptions);
  }

  abstract stat(uri: vscode.Uri): vscode.FileStat | Thenable<vscode.FileStat>;
  abstract readFile(uri: vscode.Uri): Uint8Array | Thenable<Uint8Array>;

  /** Holds `text` as the document `uri`, with a later modification time than the text it held before. */
  protected hold(uri: vscode.Uri, text: string): Entry {
    const key = uri.toString();
    const before = this.entries.get(key);
    const now = Date.now();
    const entry: Entry = {
      data: new TextEncoder().encode(text),
      ctime: before?.ctime ?? now,
      // Editors reload a document only when its modification time changed.
      mtime: before === undefined ? now : Math.max(now, before.mtime + 1),
    };
    this.entries.set(key, entry);
    return entry;
  }

  protected fire(uri: vscode.Uri, type: vscode.FileChangeType): void {
    this.changed.fire([{ type, uri }]);
  }

  protected statOf(entry: Entry | undefined, data: Uint8Array): vscode.FileStat {
    return {
      type: vscode.FileType.File,
      ctime: entry?.ctime ?? 0,
      mtime: entry?.mtime ?? 0,
      size: data.byteLength,
      permissions: vscode.FilePermission.Readonly,
    };
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

/** Documents whose text the extension sets; one it does not hold reads as a sentence saying how to get it. */
export class ReadOnlyDocuments extends ReadOnlyFileSystem {
  private readonly missing: Uint8Array;

  /**
   * Serves `scheme`; a document it does not hold (one restored after a reload) reads as `missingText`, a
   * sentence saying how to get it again.
   */
  constructor(scheme: string, missingText: string) {
    super(scheme);
    this.missing = new TextEncoder().encode(missingText);
  }

  /** Sets the text of the document `uri` (of this scheme), and tells its open editors and previews. */
  set(uri: vscode.Uri, text: string): void {
    const created = !this.entries.has(uri.toString());
    this.hold(uri, text);
    this.fire(uri, created ? vscode.FileChangeType.Created : vscode.FileChangeType.Changed);
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    const entry = this.entries.get(uri.toString());
    return this.statOf(entry, entry?.data ?? this.missing);
  }

  readFile(uri: vscode.Uri): Uint8Array {
    return this.entries.get(uri.toString())?.data ?? this.missing;
  }
}

/**
 * Documents whose text `produce` makes on the first read (`stat` or `readFile`, whichever comes first; the
 * other waits for the same text). The text is kept until `refresh` (produced again on the next read; its
 * editors and previews are told) or `forget` (the document was closed). A failed read keeps nothing.
 */
export class ProducedDocuments extends ReadOnlyFileSystem {
  private readonly reading = new Map<string, Promise<Entry>>();
  private readonly stale = new Set<string>();

  constructor(
    scheme: string,
    private readonly produce: (uri: vscode.Uri) => Promise<string>,
  ) {
    super(scheme);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const entry = await this.entry(uri);
    return this.statOf(entry, entry.data);
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return (await this.entry(uri)).data;
  }

  /** The text of `uri` changed: it is produced again on the next read, and its editors and previews are told. */
  refresh(uri: vscode.Uri): void {
    const key = uri.toString();
    if (this.entries.has(key) || this.reading.has(key)) {
      this.stale.add(key);
      this.fire(uri, vscode.FileChangeType.Changed);
    }
  }

  /** The document `uri` was closed: its text is not kept. */
  forget(uri: vscode.Uri): void {
    this.entries.delete(uri.toString());
    this.stale.delete(uri.toString());
  }

  private entry(uri: vscode.Uri): Promise<Entry> {
    const key = uri.toString();
    const held = this.entries.get(key);
    if (held !== undefined && !this.stale.has(key)) {
      return Promise.resolve(held);
    }
    let reading = this.reading.get(key);
    if (reading === undefined) {
      this.stale.delete(key);
      reading = this.produce(uri)
        .then((text) => this.hold(uri, text))
        .finally(() => this.reading.delete(key));
      this.reading.set(key, reading);
    }
    return reading;
  }
}
