import type * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import type { SignInController } from '../accounts/signInController';
import { commandIds } from '../commandIds';
import { registerCommand } from '../registerCommand';
import { AccountNode } from '../tree/accountNode';

/** Sign-in commands. Each returns the signed-in account id (tests use it). */
export function registerAuthCommands(log: Logger, signIn: SignInController): vscode.Disposable[] {
  return [
    registerCommand(commandIds.signIn, log, async () => (await signIn.signIn()).id),
    registerCommand(commandIds.signInWithDeviceCode, log, async () => (await signIn.signIn('deviceCode')).id),
    registerCommand(
      commandIds.signInServicePrincipal,
      log,
      async () => (await signIn.signInServicePrincipal()).id,
    ),
    registerCommand(
      commandIds.trySandbox,
      log,
      async (args?: { url?: string }) => (await signIn.trySandbox(args?.url)).id,
    ),
    registerCommand(commandIds.signOut, log, (target?: AccountNode | string) =>
      signIn.signOut(target instanceof AccountNode ? target.account.id : target),
    ),
  ];
}
