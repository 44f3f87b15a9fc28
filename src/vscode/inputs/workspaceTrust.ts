import * as vscode from 'vscode';

/**
 * Asks for workspace trust before a flow runs from an input file. Editing and validating need no trust;
 * running resolves `${env:…}` and `${secret:…}` references and sends them to a service, which a file
 * from an untrusted repository must not be able to trigger by itself. Returns true when trusted.
 */
export async function ensureTrustedForRun(): Promise<boolean> {
  if (vscode.workspace.isTrusted) {
    return true;
  }
  const manage = 'Manage Workspace Trust';
  const picked = await vscode.window.showWarningMessage(
    'Running a desktop flow from an input file needs a trusted workspace.',
    {
      modal: true,
      detail:
        'Input files can name environment variables and stored secrets (${env:…}, ${secret:…}) that are looked up and sent to Power Automate when the flow runs. In Restricted Mode you can edit and validate input files, but not run them: trust this folder first if you know where it came from.',
    },
    manage,
  );
  if (picked === manage) {
    await vscode.commands.executeCommand('workbench.trust.manage');
  }
  return false;
}
