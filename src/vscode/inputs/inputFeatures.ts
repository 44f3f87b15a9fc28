import type * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import type { AccountService } from '../accounts/accountService';
import { registerInputCommands } from '../commands/inputCommands';
import type { ConfigurationService } from '../configuration';
import type { EnvironmentStatusBar } from '../environmentStatusBar';
import type { FlowSchemaCache } from '../../core/inputs/flowSchemaCache';
import type { SignedInAccount } from '../accounts/signedInAccount';
import type { Prompts } from '../prompts';
import type { ExplorerView } from '../tree/explorerView';
import { FlowSchemaResolver } from './flowSchemaResolver';
import { registerInputCodeActions } from './inputCodeActions';
import { InputDiagnostics } from './inputDiagnostics';
import { registerInputFileCodeLens, trackActiveInputFile } from './inputFileEditorUi';
import { InputFileIndex } from './inputFileIndex';
import { InputFilesContributor } from './inputFileNodes';
import { InputFileService } from './inputFileService';
import { InputSecrets } from './inputSecrets';
import { SchemaContentProvider } from './schemaContentProvider';

/** What the input-file features need from the composition root. */
export interface InputFeatureDeps {
  /** For SecretStorage (secret values) and globalState (secret names). */
  readonly context: Pick<vscode.ExtensionContext, 'secrets' | 'globalState'>;
  readonly log: Logger;
  readonly config: ConfigurationService;
  readonly accounts: AccountService;
  readonly explorer: ExplorerView;
  readonly environmentStatus: EnvironmentStatusBar;
  readonly prompts: Prompts;
  /** The window's one schema cache (the composition root makes it; runs and the tree share it). */
  readonly schemas: FlowSchemaCache;
  /** The one answer to "which signed-in account reaches this org". */
  readonly runAccounts: { remember(orgUrl: string, account: SignedInAccount): void };
}

/**
 * Builds the input-file features: the `desktopflows-schema:` content provider, diagnostics, the
 * workspace index and the flows' "Input files" nodes, CodeLens, the `desktopFlows.inputFileActive`
 * context key, and the commands New Input File, Validate Input File, Set Secret and Delete Secret.
 * Returns the disposables (push them onto `context.subscriptions`) and the service the runs UI uses.
 */
export function registerInputFeatures(deps: InputFeatureDeps): {
  disposables: vscode.Disposable[];
  inputFiles: InputFileService;
} {
  const { context, log, config, accounts, explorer, environmentStatus, prompts } = deps;
  const resolver = new FlowSchemaResolver(
    accounts,
    (signal) => environmentStatus.resolveDefault(signal),
    config,
    log,
    deps.schemas,
    deps.runAccounts,
  );
  const schemaProvider = new SchemaContentProvider(resolver, log);
  const secrets = new InputSecrets(context.secrets, context.globalState);
  const diagnostics = new InputDiagnostics(resolver, schemaProvider, secrets, config, log);
  const index = new InputFileIndex(log);
  const inputFiles = new InputFileService(resolver, schemaProvider, diagnostics, index, secrets);

  const contributor = new InputFilesContributor(index, resolver);
  explorer.flowChildren.push(contributor);
  const indexUpdates = index.onDidChange(() => {
    for (const group of contributor.liveGroups()) {
      explorer.refresh(group);
    }
  });

  return {
    disposables: [
      resolver,
      schemaProvider,
      secrets,
      diagnostics,
      index,
      indexUpdates,
      {
        dispose: () => {
          const at = explorer.flowChildren.indexOf(contributor);
          if (at >= 0) {
            explorer.flowChildren.splice(at, 1);
          }
        },
      },
      ...registerInputFileCodeLens(),
      registerInputCodeActions(),
      ...trackActiveInputFile(),
      ...registerInputCommands({ log, config, accounts, environmentStatus, inputFiles, prompts }),
    ],
    inputFiles,
  };
}
