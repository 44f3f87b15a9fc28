import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import { parseSchemaUri, type SchemaUriTarget } from '../../core/inputs/schemaUri';
import type { Logger } from '../../core/logger';
import type { Environment } from '../../core/model/environment';
import { inputFileSchemaUri, schemaProbeChars } from './inputFileDetection';
import { raceAbort } from '../../core/util/abort';
import { DisposableBase } from '../disposableBase';

/** One input file of the workspace. */
export interface IndexedInputFile {
  readonly uri: vscode.Uri;
  /** The `$schema` text. */
  readonly schemaUri: string;
  /** What it names; `undefined` when the URI is malformed (the file is still listed nowhere). */
  readonly target: SchemaUriTarget | undefined;
}

/** Folders never searched: dependencies, build output, VCS data, test hosts. */
const excludeGlob = '**/{node_modules,.git,.hg,.svn,dist,out,build,bower_components,.vscode-test}/**';

/** The most JSON files looked at; a workspace with more is indexed partially (and says so in the log). */
const maxFiles = 5_000;

/** Files larger than this are not read in virtual workspaces (no partial reads there). */
const maxWholeReadBytes = 256 * 1024;

/** Parallel reads while indexing. */
const readConcurrency = 8;

/** Delay that gathers a burst of file events (a git checkout) into one update. */
const batchMs = 200;

/**
 * Which workspace JSON files are input files (`$schema` starting with `desktopflows-schema:`), by flow.
 * Built lazily on first use with one `findFiles` and a read of each file's first KBs, then kept
 * current by a file system watcher and by saves.
 */
export class InputFileIndex extends DisposableBase {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after files were added, removed or re-pointed to another flow. */
  readonly onDidChange = this.changed.event;
  private readonly files = new Map<string, IndexedInputFile>();
  private building: Promise<void> | undefined;
  private readonly pendingUris = new Map<string, vscode.Uri | undefined>();
  private batchTimer: NodeJS.Timeout | undefined;
  private readonly lifetime = new AbortController();

  constructor(private readonly log: Logger) {
    super();
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.json');
    this.register(
      this.changed,
      watcher,
      watcher.onDidCreate((uri) => this.queue(uri, false)),
      watcher.onDidChange((uri) => this.queue(uri, false)),
      watcher.onDidDelete((uri) => this.queue(uri, true)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.building = undefined;
        this.files.clear();
        this.changed.fire();
      }),
    );
  }

  /** Waits for the first scan (started on first call). */
  async ready(signal: AbortSignal): Promise<void> {
    if (this.building === undefined) {
      const building = this.build();
      this.building = building;
      // A failed scan is tried again on next use (the tree's Retry), not remembered.
      building.catch(() => {
        if (this.building === building) {
          this.building = undefined;
        }
      });
    }
    await raceAbort(this.building, signal);
  }

  /** Every indexed input file. */
  all(): IndexedInputFile[] {
    return [...this.files.values()].sort((a, b) => a.uri.path.localeCompare(b.uri.path));
  }

  /**
   * Input files of a flow in an environment: those naming the flow and either no environment (they
   * follow the default, and ids survive solution import) or this one.
   */
  filesFor(flowId: string, environment: Environment): IndexedInputFile[] {
    const id = flowId.toLowerCase();
    const names = [environment.id, environment.uniqueName, environment.displayName, environment.orgUrl]
      .filter((n): n is string => n !== undefined)
      .map((n) => n.toLowerCase().replace(/\/+$/, ''));
    return this.all().filter((f) => {
      const t = f.target;
      return (
        t !== undefined &&
        t.flowId.toLowerCase() === id &&
        (t.environment === undefined || names.includes(t.environment.toLowerCase().replace(/\/+$/, '')))
      );
    });
  }

  /** Records a file right away (New Input File), without waiting for the watcher. */
  async add(uri: vscode.Uri): Promise<void> {
    if (await this.update(uri)) {
      this.changed.fire();
    }
  }

  private async build(): Promise<void> {
    const started = Date.now();
    const uris = await vscode.workspace.findFiles('**/*.json', excludeGlob, maxFiles);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < uris.length && !this.lifetime.signal.aborted) {
        const uri = uris[next++];
        if (uri) {
          await this.update(uri);
        }
      }
    };
    await Promise.all(Array.from({ length: readConcurrency }, worker));
    this.log.info(
      `[inputs] indexed ${this.files.size} input file(s) among ${uris.length}${uris.length >= maxFiles ? '+' : ''} JSON files in ${Date.now() - started} ms`,
    );
    this.changed.fire();
  }

  private queue(uri: vscode.Uri, deleted: boolean): void {
    if (/\/(node_modules|\.git)\//.test(uri.path)) {
      return;
    }
    this.pendingUris.set(uri.toString(), deleted ? undefined : uri);
    clearTimeout(this.batchTimer);
    this.batchTimer = setTimeout(() => void this.flush(), batchMs);
  }

  private async flush(): Promise<void> {
    if (this.building === undefined) {
      // Nothing listed yet: the first scan will see the files as they are.
      this.pendingUris.clear();
      return;
    }
    try {
      await this.building;
    } catch {
      this.pendingUris.clear();
      return;
    }
    const batch = [...this.pendingUris.entries()];
    this.pendingUris.clear();
    let changed = false;
    for (const [key, uri] of batch) {
      if (uri === undefined) {
        changed = this.files.delete(key) || changed;
      } else {
        changed = (await this.update(uri)) || changed;
      }
    }
    if (changed) {
      this.changed.fire();
    }
  }

  /** Reads a file's start and updates its entry; true when the index changed. */
  private async update(uri: vscode.Uri): Promise<boolean> {
    const key = uri.toString();
    const before = this.files.get(key);
    let schemaUri: string | undefined;
    try {
      schemaUri = inputFileSchemaUri(await readStart(uri));
    } catch {
      schemaUri = undefined;
    }
    if (schemaUri === undefined) {
      return this.files.delete(key);
    }
    if (before?.schemaUri === schemaUri) {
      return false;
    }
    this.files.set(key, { uri, schemaUri, target: parseSchemaUri(schemaUri) });
    return true;
  }

  override dispose(): void {
    this.lifetime.abort();
    clearTimeout(this.batchTimer);
    super.dispose();
  }
}

/** The first KBs of a file: a partial read on disk, a whole (small) file elsewhere. */
async function readStart(uri: vscode.Uri): Promise<string> {
  if (uri.scheme === 'file') {
    const handle = await fs.open(uri.fsPath, 'r');
    try {
      const buffer = Buffer.alloc(schemaProbeChars * 2);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  }
  const stat = await vscode.workspace.fs.stat(uri);
  if (stat.size > maxWholeReadBytes) {
    return '';
  }
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}
