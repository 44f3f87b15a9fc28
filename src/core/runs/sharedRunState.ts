/**
 * Run-start state shared by every process of this user on this machine (the CLI, the extension, batch and
 * agent tools): the per-flow+connection start lock and the set of *claimed* runs (runs already attributed
 * to a start request, which reconciliation never adopts again).
 *
 * Layout, under one user-only directory (0700; files 0600):
 * - `claims.json`: `{ "version": 1, "claims": { "<run id>": <claimed at, epoch ms>, … } }`, bounded (claims
 *   older than `claimRetentionMs` and beyond `maxClaims` are pruned on every write), replaced atomically
 *   (write a temporary file, then rename) while holding the `claims` lock.
 * - `locks/<sha256 of the key>.lock`: an exclusive lock file created with O_EXCL holding
 *   `{ pid, host, token, at }`. Its holder refreshes its mtime every `staleMs / 4`. A lock is stale (and
 *   broken) when its process is gone (same host) or its mtime is older than `staleMs`; breaking happens
 *   under a short-lived `.break` lock so two waiters never both break and re-take it.
 *
 * The directory is `DESKTOPFLOWS_STATE_DIR` when set (tests), else the OS's per-user state directory:
 * `$XDG_STATE_HOME` or `~/.local/state` on Linux, `%LOCALAPPDATA%` on Windows, `~/Library/Application
 * Support` on macOS, each with a `desktop-flows` folder.
 */
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import path from 'node:path';
import { CancellationError } from '../errors';
import { sleep } from '../util/abort';

/** Environment variable that overrides the state directory. */
export const stateDirVariable = 'DESKTOPFLOWS_STATE_DIR';

/** The per-user state directory of this OS for our files. */
export function defaultStateDir(
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  const override = env[stateDirVariable];
  if (override !== undefined && override !== '') {
    return path.resolve(override);
  }
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA;
    return path.join(
      local !== undefined && local !== '' ? local : path.join(home, 'AppData', 'Local'),
      'desktop-flows',
    );
  }
  if (platform === 'darwin') {
    return path.join(home, 'Library', 'Application Support', 'desktop-flows');
  }
  const xdg = env.XDG_STATE_HOME;
  return path.join(
    xdg !== undefined && xdg !== '' && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'state'),
    'desktop-flows',
  );
}

/** Tuning of `SharedRunState`; the defaults suit real use. */
export interface SharedRunStateOptions {
  /** A lock whose file was not refreshed for this long is stale (default 30 s). */
  readonly staleMs?: number;
  /** Claims kept at most (default 2,000, newest first). */
  readonly maxClaims?: number;
  /** How long a claim is kept (default 24 h): far beyond any reconciliation window. */
  readonly claimRetentionMs?: number;
  /** Pause between attempts to take a busy lock (default 25 ms, growing to 250 ms). */
  readonly pollMs?: number;
}

/** A held lock; `release` is idempotent. */
export interface HeldLock {
  release(): Promise<void>;
}

interface LockBody {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
  readonly at: number;
}

interface ClaimsFile {
  readonly version: 1;
  readonly claims: Record<string, number>;
}

/** Lock files this process holds, removed synchronously if the process exits without releasing them. */
const heldLockFiles = new Map<string, string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) {
    return;
  }
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [file, token] of heldLockFiles) {
      try {
        const body = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockBody>;
        if (body.token === token) {
          unlinkSync(file);
        }
      } catch {
        // Already gone or unreadable: nothing to release.
      }
    }
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** The claims and start locks shared across this user's processes. */
export class SharedRunState {
  private readonly staleMs: number;
  private readonly maxClaims: number;
  private readonly retentionMs: number;
  private readonly pollMs: number;
  private ready: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    options: SharedRunStateOptions = {},
  ) {
    this.staleMs = options.staleMs ?? 30_000;
    this.maxClaims = options.maxClaims ?? 2_000;
    this.retentionMs = options.claimRetentionMs ?? 24 * 3_600_000;
    this.pollMs = options.pollMs ?? 25;
  }

  /** The default location (see `defaultStateDir`). */
  static atDefaultLocation(options?: SharedRunStateOptions): SharedRunState {
    return new SharedRunState(defaultStateDir(), options);
  }

  private get claimsFile(): string {
    return path.join(this.dir, 'claims.json');
  }

  /** Creates the directories user-only (and narrows them if they already existed wider). */
  private ensureDir(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(path.join(this.dir, 'locks'), { recursive: true, mode: 0o700 });
      if (process.platform !== 'win32') {
        await chmod(this.dir, 0o700);
        await chmod(path.join(this.dir, 'locks'), 0o700);
      }
    })();
    return this.ready;
  }

  /**
   * Takes the exclusive lock named `key` (any string), waiting while another process or caller holds it.
   * Rejects with `CancellationError` when `signal` aborts while waiting.
   */
  async lock(key: string, signal: AbortSignal): Promise<HeldLock> {
    await this.ensureDir();
    const file = path.join(
      this.dir,
      'locks',
      `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.lock`,
    );
    const token = randomUUID();
    let wait = this.pollMs;
    for (;;) {
      if (signal.aborted) {
        throw new CancellationError();
      }
      if (this.tryCreate(file, token)) {
        break;
      }
      if (await this.breakIfStale(file)) {
        continue;
      }
      await sleep(wait, signal);
      wait = Math.min(wait * 2, 250);
    }
    heldLockFiles.set(file, token);
    installExitHook();
    const heartbeat = setInterval(
      () => {
        const now = new Date();
        void utimes(file, now, now).catch(() => undefined);
      },
      Math.max(50, Math.floor(this.staleMs / 4)),
    );
    heartbeat.unref();
    let released = false;
    return {
      release: async () => {
        if (released) {
          return;
        }
        released = true;
        clearInterval(heartbeat);
        heldLockFiles.delete(file);
        await this.removeIfOurs(file, token);
      },
    };
  }

  /** Runs `fn` holding the lock `key`. */
  async withLock<T>(key: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    const held = await this.lock(key, signal);
    try {
      return await fn();
    } finally {
      await held.release();
    }
  }

  /** Run ids claimed by any process (lower-case). */
  async claimed(): Promise<ReadonlySet<string>> {
    await this.ensureDir();
    return new Set(Object.keys((await this.readClaims()).claims));
  }

  /** Claims runs for good: no process adopts them afterwards. Prunes old claims. */
  async claim(runIds: Iterable<string>, signal: AbortSignal): Promise<void> {
    const ids = [...runIds].map((id) => id.toLowerCase());
    if (ids.length === 0) {
      return;
    }
    await this.ensureDir();
    // Claiming must not be abandoned halfway: the caller's signal only bounds the wait for the lock.
    await this.withLock('claims', signal, async () => {
      const now = Date.now();
      const claims = { ...(await this.readClaims()).claims };
      for (const id of ids) {
        claims[id] = now;
      }
      const kept = Object.entries(claims)
        .filter(([, at]) => now - at <= this.retentionMs)
        .sort((a, b) => b[1] - a[1])
        .slice(0, this.maxClaims);
      await this.writeClaims({ version: 1, claims: Object.fromEntries(kept) });
    });
  }

  private async readClaims(): Promise<ClaimsFile> {
    let text: string;
    try {
      text = await readFile(this.claimsFile, 'utf8');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') {
        return { version: 1, claims: {} };
      }
      throw e;
    }
    try {
      const parsed = JSON.parse(text) as Partial<ClaimsFile>;
      const claims: Record<string, number> = {};
      if (typeof parsed.claims === 'object' && parsed.claims !== null) {
        for (const [id, at] of Object.entries(parsed.claims)) {
          if (typeof at === 'number') {
            claims[id.toLowerCase()] = at;
          }
        }
      }
      return { version: 1, claims };
    } catch {
      // A damaged file (it is always replaced atomically, so only by hand) starts over empty.
      return { version: 1, claims: {} };
    }
  }

  private async writeClaims(content: ClaimsFile): Promise<void> {
    const tmp = `${this.claimsFile}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(content));
    } finally {
      await handle.close();
    }
    await rename(tmp, this.claimsFile);
  }

  private tryCreate(file: string, token: string): boolean {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        const body: LockBody = { pid: process.pid, host: hostname(), token, at: Date.now() };
        writeSync(fd, JSON.stringify(body));
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (e) {
      if (errnoCode(e) === 'EEXIST') {
        return false;
      }
      throw e;
    }
  }

  /** Whether a lock file is stale: its process is gone, or it was not refreshed within `staleMs`. */
  private async isStale(file: string): Promise<{ stale: boolean; token?: string }> {
    let body: Partial<LockBody> | undefined;
    let mtimeMs: number;
    try {
      [body, mtimeMs] = await Promise.all([
        readFile(file, 'utf8').then(
          (t) => JSON.parse(t) as Partial<LockBody>,
          (e: unknown) => {
            if (errnoCode(e) === 'ENOENT') {
              throw e;
            }
            return undefined;
          },
        ),
        stat(file).then((s) => s.mtimeMs),
      ]);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') {
        return { stale: false };
      }
      throw e;
    }
    const token = body?.token;
    if (Date.now() - mtimeMs > this.staleMs) {
      return { stale: true, ...(token === undefined ? {} : { token }) };
    }
    if (body?.host === hostname() && typeof body.pid === 'number' && !processAlive(body.pid)) {
      return { stale: true, ...(token === undefined ? {} : { token }) };
    }
    return { stale: false };
  }

  /** Removes a stale lock (under a short `.break` lock); true when it did. */
  private async breakIfStale(file: string): Promise<boolean> {
    const first = await this.isStale(file);
    if (!first.stale) {
      return false;
    }
    const breaker = `${file}.break`;
    const breakToken = randomUUID();
    if (!this.tryCreate(breaker, breakToken)) {
      // Someone else is breaking it; a breaker left by a dead process is itself stale after `staleMs`.
      const b = await this.isStale(breaker);
      if (b.stale) {
        await this.removeIfOurs(breaker, b.token);
      }
      return false;
    }
    try {
      const again = await this.isStale(file);
      if (again.stale && again.token === first.token) {
        await unlink(file).catch((e: unknown) => {
          if (errnoCode(e) !== 'ENOENT') {
            throw e;
          }
        });
        return true;
      }
      return false;
    } finally {
      await this.removeIfOurs(breaker, breakToken);
    }
  }

  private async removeIfOurs(file: string, token: string | undefined): Promise<void> {
    try {
      const body = JSON.parse(await readFile(file, 'utf8')) as Partial<LockBody>;
      if (token === undefined || body.token === token) {
        await unlink(file);
      }
    } catch {
      // Gone already (or unreadable, when it is not ours to judge).
    }
  }
}
