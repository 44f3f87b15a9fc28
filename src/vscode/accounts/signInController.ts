import * as vscode from 'vscode';
import { AccountManager } from '../../core/auth/accountManager';
import type { AuthAccount } from '../../core/auth/authAccount';
import { authTargetFor, type AuthTarget } from '../../core/auth/authTarget';
import type { DeviceCodeInfo } from '../../core/auth/msalTokenProvider';
import { fetchSandboxSignIn } from '../../core/auth/sandboxSignIn';
import { clouds, type CloudEndpoints } from '../../core/clouds';
import { CancellationError } from '../../core/errors';
import type { Prompts } from '../prompts';
import { HttpClient } from '../../core/http/httpClient';
import type { ProxyOptions } from '../../core/http/proxySettings';
import type { Logger } from '../../core/logger';
import { toAbortSignal } from '../cancellation';
import type { ConfigurationService } from '../configuration';
import { UserFacingError } from '../registerCommand';
import type { AccountService } from './accountService';
import { locateSandbox, startedSandboxUrl, stopStartedSandbox } from './sandboxLocator';
import { cloudLabels, signedInAccountFor, type SignedInAccount } from './signedInAccount';

const sandboxUrlsKey = 'desktopFlows.sandboxAccounts';

/**
 * Sign-in for the VS Code window: browser, device code, service principals and the sandbox, over the
 * core `AccountManager` (msal-node; token cache and credentials in SecretStorage). Every signed-in account
 * becomes a `SignedInAccount` in the `AccountService`, with its own `ServiceSession`.
 */
export class SignInController implements vscode.Disposable {
  readonly manager: AccountManager;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly accounts: AccountService,
    private readonly log: Logger,
    private readonly config: ConfigurationService,
    /** The window's prompts (Escape throws `CancellationError`). */
    private readonly prompts: Prompts,
  ) {
    this.manager = new AccountManager({ secrets: context.secrets, logger: log, proxy: this.proxy() });
  }

  private proxy(): ProxyOptions {
    const { httpProxy, httpNoProxy } = this.config.current;
    return {
      ...(httpProxy ? { url: httpProxy } : {}),
      ...(httpNoProxy.length > 0 ? { noProxy: httpNoProxy } : {}),
    };
  }

  /** Settings that shape sign-in and connections take effect for new sessions: offer a reload. */
  watchSettings(): vscode.Disposable {
    return this.config.onDidChange(async (e) => {
      const connection = e.affects('httpProxy', 'httpNoProxy', 'httpTimeoutSeconds');
      const signIn = e.affects('cloud', 'tenant', 'clientId');
      if (connection && this.accounts.accounts.length > 0) {
        const choice = await vscode.window.showInformationMessage(
          'Proxy and timeout changes apply to Desktop Flows after a window reload.',
          'Reload Window',
        );
        if (choice) {
          await vscode.commands.executeCommand('workbench.action.reloadWindow');
        }
      } else if (signIn) {
        void vscode.window.showInformationMessage(
          'The new cloud, tenant or client id applies to your next sign-in; accounts already signed in keep theirs.',
        );
      }
    });
  }

  /** Restores the accounts signed in during earlier sessions (tokens come silently from the cache). */
  async restore(signal: AbortSignal): Promise<void> {
    const stored = await this.manager.listAccounts(signal);
    const sandboxUrls = this.sandboxUrls();
    for (const account of stored) {
      try {
        let cloud: CloudEndpoints;
        if (account.cloud === 'Sandbox') {
          const url = sandboxUrls[account.id];
          if (!url) {
            throw new Error('no sandbox URL remembered');
          }
          cloud = (await this.fetchSandbox(url, AbortSignal.any([signal, AbortSignal.timeout(5000)]))).cloud;
        } else {
          cloud = clouds[account.cloud];
        }
        await this.accounts.add(this.toSignedIn(account, cloud));
      } catch (e) {
        if (account.cloud === 'Sandbox') {
          // The sandbox that issued these tokens is gone (it lives only as long as its process).
          this.log.info(
            `[auth] forgetting sandbox account ${account.username}: its sandbox is not running (${e instanceof Error ? e.message : String(e)})`,
          );
          await this.manager.signOut(account.id, signal);
          await this.rememberSandboxUrl(account.id, undefined);
        } else {
          this.log.warn(
            `[auth] could not restore ${account.username}: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
      }
    }
  }

  /** Browser or device-code sign-in to the configured cloud. */
  async signIn(method?: 'browser' | 'deviceCode'): Promise<SignedInAccount> {
    const config = this.config.current;
    const cloud = clouds[config.cloud];
    const target = authTargetFor(cloud, { tenantId: config.tenant, clientId: config.clientId });
    const chosen =
      method ??
      (config.authMethod === 'auto' ? (this.isRemoteWindow() ? 'deviceCode' : 'browser') : config.authMethod);
    const account = await this.withSignInProgress(
      `Signing in to ${cloudLabels[cloud.name] ?? cloud.name}…`,
      (signal) =>
        chosen === 'deviceCode'
          ? this.manager.signInWithDeviceCode(
              target,
              { showCode: (info) => this.showDeviceCode(info) },
              signal,
            )
          : this.manager.signInInteractive(
              target,
              {
                openBrowser: async (url) => {
                  const opened = await vscode.env.openExternal(vscode.Uri.parse(url));
                  if (!opened) {
                    throw new UserFacingError(
                      'The browser could not be opened. Use "Sign In with Device Code" instead.',
                    );
                  }
                },
                successHtml: '<h1>Signed in</h1><p>You can close this tab and return to VS Code.</p>',
                errorHtml: '<h1>Sign-in failed</h1><p>Return to VS Code for details.</p>',
              },
              signal,
            ),
    );
    const signedIn = this.toSignedIn(account, cloud);
    await this.accounts.add(signedIn);
    void vscode.window.showInformationMessage(`Signed in as ${account.username}.`);
    return signedIn;
  }

  /** Service principal with a client secret or a certificate (PEM files). Nothing is kept outside SecretStorage. */
  async signInServicePrincipal(): Promise<SignedInAccount> {
    const config = this.config.current;
    const cloud = clouds[config.cloud];
    const guid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
    const tenant = await this.ask({
      title: 'Service principal (1/3): tenant',
      prompt:
        'Tenant id or domain of the app registration (not "organizations": app sign-in needs a tenant).',
      value: config.tenant === 'organizations' ? '' : config.tenant,
      validateInput: (v) =>
        v.trim() === '' || /^(organizations|common|consumers)$/i.test(v.trim())
          ? 'Enter a tenant id or a domain such as contoso.onmicrosoft.com.'
          : undefined,
    });
    const clientId = await this.ask({
      title: 'Service principal (2/3): application (client) id',
      prompt: 'The app registration that is an application user in your environments.',
      validateInput: (v) =>
        guid.test(v.trim())
          ? undefined
          : 'An application id is a GUID, e.g. 00000000-0000-0000-0000-000000000000.',
    });
    const kind = await this.prompts.pick(
      [
        { label: 'Client secret', description: 'Paste the secret value', credential: 'secret' as const },
        {
          label: 'Certificate',
          description: 'Pick PEM files: certificate and private key',
          credential: 'certificate' as const,
        },
      ],
      { title: 'Service principal (3/3): credential' },
    );
    const target: AuthTarget = authTargetFor(cloud, { tenantId: tenant.trim(), clientId: clientId.trim() });
    let account: AuthAccount;
    if (kind.credential === 'secret') {
      const secret = await this.ask({
        title: 'Client secret',
        prompt: 'Stored in VS Code SecretStorage only.',
        password: true,
        validateInput: (v) => (v ? undefined : 'Enter the secret.'),
      });
      account = await this.withSignInProgress('Checking the service principal…', (signal) =>
        this.manager.addClientSecret(target, secret, signal),
      );
    } else {
      const certificatePem = await this.readPem('Select the certificate (PEM)', 'CERTIFICATE');
      const privateKeyPem = await this.readPem('Select its private key (PEM)', 'PRIVATE KEY');
      account = await this.withSignInProgress('Checking the service principal…', (signal) =>
        this.manager.addCertificate(target, { certificatePem, privateKeyPem }, signal),
      );
    }
    const signedIn = this.toSignedIn(account, cloud);
    await this.accounts.add(signedIn);
    void vscode.window.showInformationMessage(`Signed in as service principal ${account.username}.`);
    return signedIn;
  }

  /**
   * "Try the Sandbox": find or start the local sandbox and sign in to its identity endpoint with a device
   * code, exactly as a user signs in to Entra (the sandbox approves the code as it issues it).
   */
  async trySandbox(url?: string): Promise<SignedInAccount> {
    const location = await locateSandbox(url, this.config.current.sandboxUrl, this.log);
    const sandbox = await this.fetchSandbox(location.url, AbortSignal.timeout(15_000));
    // Nobody types the code: the sandbox approves it at once. It is shown (in the progress notification,
    // which closes when sign-in completes) only when sign-in still waits after a moment: a sandbox started
    // without auto-approval, where someone must enter it.
    let codeTimer: NodeJS.Timeout | undefined;
    const account = await this.withSignInProgress('Signing in to the sandbox…', (signal, progress) =>
      this.manager.signInWithDeviceCode(
        sandbox.target,
        {
          showCode: (info) => {
            this.log.info(`[auth] sandbox device code sign-in at ${info.verificationUri}`);
            codeTimer = setTimeout(() => {
              progress.report({ message: `enter the code ${info.userCode} at ${info.verificationUri}` });
            }, sandboxCodeDelayMs);
          },
        },
        signal,
      ),
    ).finally(() => clearTimeout(codeTimer));
    await this.rememberSandboxUrl(account.id, location.url);
    const signedIn = this.toSignedIn(account, sandbox.cloud);
    await this.accounts.add(signedIn);
    void vscode.window.showInformationMessage(`Signed in as ${account.username} (Sandbox).`);
    return signedIn;
  }

  /** Signs an account out (asks which one when several are signed in). */
  async signOut(accountId?: string): Promise<string | undefined> {
    let id = accountId;
    if (id === undefined) {
      const list = this.accounts.accounts;
      if (list.length === 0) {
        throw new UserFacingError('No account is signed in.');
      }
      if (list.length === 1) {
        id = list[0]?.id;
      } else {
        const picked = await this.prompts.pick(
          list.map((a) => ({ label: a.label, description: a.description, id: a.id })),
          { title: 'Sign out of which account?' },
        );
        id = picked.id;
      }
    }
    if (id === undefined) {
      return undefined;
    }
    await this.manager.signOut(id, AbortSignal.timeout(30_000));
    const sandboxUrl = this.sandboxUrls()[id];
    await this.rememberSandboxUrl(id, undefined);
    const removed = await this.accounts.remove(id);
    // Signing out of the sandbox this window started stops it, unless another account still uses it.
    const started = await startedSandboxUrl();
    if (sandboxUrl !== undefined && sandboxUrl === started) {
      const stillUsed = Object.values(this.sandboxUrls()).includes(started);
      if (!stillUsed) {
        await stopStartedSandbox();
        this.log.info('[sandbox] stopped: its account signed out');
      }
    }
    if (removed) {
      void vscode.window.showInformationMessage(`Signed out of ${removed.label}.`);
    }
    return id;
  }

  private toSignedIn(account: AuthAccount, cloud: CloudEndpoints): SignedInAccount {
    return signedInAccountFor(account, cloud, {
      tokens: this.manager.tokenProvider(account),
      logger: this.log,
      proxy: this.proxy(),
      timeoutMs: this.config.current.httpTimeoutSeconds * 1000,
    });
  }

  private async fetchSandbox(
    url: string,
    signal: AbortSignal,
  ): Promise<Awaited<ReturnType<typeof fetchSandboxSignIn>>> {
    const http = new HttpClient({ logger: this.log });
    try {
      return await fetchSandboxSignIn(http, url, signal);
    } finally {
      await http.close();
    }
  }

  private isRemoteWindow(): boolean {
    return vscode.env.remoteName !== undefined || vscode.env.uiKind === vscode.UIKind.Web;
  }

  /** Shows the device code with Copy and Open buttons, without blocking the sign-in that waits for it. */
  private showDeviceCode(info: DeviceCodeInfo): void {
    this.log.info(
      `[auth] device code sign-in: open ${info.verificationUri} and enter the code shown in the notification`,
    );
    void vscode.window
      .showInformationMessage(
        `To sign in, open ${info.verificationUri} and enter the code ${info.userCode}.`,
        'Copy Code & Open',
        'Copy Code',
      )
      .then(async (choice) => {
        if (choice) {
          await vscode.env.clipboard.writeText(info.userCode);
        }
        if (choice === 'Copy Code & Open') {
          await vscode.env.openExternal(vscode.Uri.parse(info.verificationUri));
        }
      });
  }

  private withSignInProgress<T>(
    title: string,
    work: (signal: AbortSignal, progress: vscode.Progress<{ message?: string }>) => Promise<T>,
  ): Promise<T> {
    return Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        (progress, token) => work(toAbortSignal(token), progress),
      ),
    );
  }

  private ask(options: vscode.InputBoxOptions): Promise<string> {
    return this.prompts.text({ ignoreFocusOut: true, ...options });
  }

  private async readPem(title: string, label: string): Promise<string> {
    const [uri] = await this.prompts.open({
      title,
      canSelectMany: false,
      filters: { 'PEM files': ['pem', 'crt', 'key', 'cer'] },
    });
    if (!uri) {
      throw new CancellationError();
    }
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    if (!text.includes(`-----BEGIN`) || !text.includes(label)) {
      throw new UserFacingError(
        `${uri.fsPath} is not a PEM file with a ${label} block. Export it as PEM (Base64) and try again.`,
      );
    }
    return text;
  }

  private sandboxUrls(): Record<string, string> {
    return this.context.globalState.get<Record<string, string>>(sandboxUrlsKey) ?? {};
  }

  private async rememberSandboxUrl(accountId: string, url: string | undefined): Promise<void> {
    const urls = { ...this.sandboxUrls() };
    if (url === undefined) {
      delete urls[accountId];
    } else {
      urls[accountId] = url;
    }
    await this.context.globalState.update(sandboxUrlsKey, urls);
  }

  dispose(): void {
    void this.manager.dispose();
  }
}

/** How long Try the Sandbox waits for the sandbox's own approval before showing the code to type. */
const sandboxCodeDelayMs = 2_000;
