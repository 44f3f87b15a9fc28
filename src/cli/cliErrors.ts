/**
 * Exit codes and the one error path of the CLI: every failure becomes one line on stderr saying what
 * happened and how to fix it, and an exit code a pipeline can branch on. Typed core errors are classified
 * by their `reason`, never by message text; the service's own codes get the documented remedy.
 */
import { apiErrorReferenceSuffix } from '../core/apiErrorReference';
import { ApiError, AuthError, CancellationError } from '../core/errors';
import { remedyFor } from '../core/runs/remedies';
import { RunError } from '../core/runs/runErrors';
import { secretMasker } from '../core/util/secretMasker';

/** What the process exit status means (docs/cli.md, "Exit codes"). */
export const exitCodes = {
  /** Done; a waited run succeeded. */
  success: 0,
  /** The run failed, was cancelled or timed out (or had already ended when cancelled). */
  runFailed: 1,
  /** Bad usage or invalid input: nothing was sent. */
  usage: 2,
  /** Authentication or permission failure. */
  auth: 3,
  /** Service or network failure. */
  service: 4,
  /**
   * The start request may have started a run, but the evidence does not single out which (or none was
   * found and resending was off): nothing was sent again; the message names the candidate runs and the
   * command to check them.
   */
  outcomeUnknown: 5,
  /** Interrupted (Ctrl+C). */
  interrupted: 130,
} as const;

/** One of `exitCodes`. */
export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** A failure the CLI has already put into words. */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.exitCode = exitCode;
  }

  static is(e: unknown): e is CliError {
    return e instanceof CliError;
  }
}

/** Bad usage or invalid input (exit 2). */
export function usageError(message: string): CliError {
  return new CliError(exitCodes.usage, message);
}

/** How a failure is reported. */
export interface FailureReport {
  readonly exitCode: ExitCode;
  /** One line (no trailing newline), secrets masked. */
  readonly message: string;
}

function withRemedy(message: string, code: string | undefined): string {
  const remedy = remedyFor(code);
  return remedy === undefined ? message : `${message} ${remedy.title}: ${remedy.remedy}`;
}

function sentence(text: string): string {
  const t = text.trim();
  return t === '' || /[.!?]$/.test(t) ? t : `${t}.`;
}

function describeApiError(e: ApiError): FailureReport {
  const refs = apiErrorReferenceSuffix(e);
  const detail = sentence(e.message);
  switch (e.reason) {
    case 'unauthorized':
      return {
        exitCode: exitCodes.auth,
        message: `The service did not accept the sign-in${refs}. Check that the token or account is valid for this environment (a DESKTOPFLOWS_TOKEN is issued for one audience) and sign in again.`,
      };
    case 'forbidden':
      return {
        exitCode: exitCodes.auth,
        message: withRemedy(
          `Permission denied${refs}: ${detail} Ask the flow's owner or an environment admin for access (checking and cancelling runs needs Owner access).`,
          e.code,
        ),
      };
    case 'insecure':
      return {
        exitCode: exitCodes.usage,
        message: `${detail} Plain http is allowed for loopback addresses only: use an https:// URL.`,
      };
    case 'notFound':
      return {
        exitCode: exitCodes.service,
        message: withRemedy(`The service found nothing there${refs}: ${detail}`, e.code),
      };
    case 'badRequest':
    case 'conflict':
      return {
        exitCode: exitCodes.service,
        message: withRemedy(`The service rejected the request${refs}: ${detail}`, e.code),
      };
    case 'throttled':
      return {
        exitCode: exitCodes.service,
        message: withRemedy(
          `The service is throttling requests${refs}. Try again${e.retryAfterSeconds === undefined ? ' shortly' : ` in ${Math.ceil(e.retryAfterSeconds)} s`}.`,
          e.code,
        ),
      };
    case 'server':
      return {
        exitCode: exitCodes.service,
        message: withRemedy(`The service had an error${refs}: ${detail} Try again later.`, e.code),
      };
    case 'network':
      return {
        exitCode: exitCodes.service,
        message: `The service could not be reached: ${detail} Check the URL, your network and the HTTPS_PROXY/NO_PROXY variables.`,
      };
    case 'timeout':
      return {
        exitCode: exitCodes.service,
        message: `The service did not answer in time${refs}. Try again later.`,
      };
    case 'cancelled':
      return { exitCode: exitCodes.interrupted, message: 'Interrupted.' };
  }
}

function describeAuthError(e: AuthError): FailureReport {
  const code = e.code === undefined ? '' : ` (${e.code})`;
  switch (e.reason) {
    case 'invalidClient':
      return {
        exitCode: exitCodes.auth,
        message: `The identity provider rejected the application's credentials${code}. Check --client-id, --tenant and DESKTOPFLOWS_CLIENT_SECRET or the --certificate file.`,
      };
    case 'consentRequired':
      return {
        exitCode: exitCodes.auth,
        message: `Consent is needed before this application can use the resource${code}. Ask an administrator to grant consent, or use your own app with --client-id.`,
      };
    case 'interactionRequired':
    case 'expired':
    case 'noAccount':
      return {
        exitCode: exitCodes.auth,
        message: `Signing in did not complete${code}: ${sentence(e.message)} Sign in again.`,
      };
    case 'cancelled':
      return { exitCode: exitCodes.auth, message: `Sign-in was cancelled or declined${code}.` };
    case 'network':
      return {
        exitCode: exitCodes.service,
        message: `The sign-in service could not be reached${code}. Check your network and the HTTPS_PROXY/NO_PROXY variables.`,
      };
    case 'unknown':
      return { exitCode: exitCodes.auth, message: `Sign-in failed${code}: ${sentence(e.message)}` };
  }
}

function describeRunError(e: RunError): FailureReport {
  switch (e.reason) {
    case 'invalidOptions':
      return { exitCode: exitCodes.usage, message: sentence(e.message) };
    case 'alreadyFinished':
      return {
        exitCode: exitCodes.runFailed,
        message: `Run ${e.runId ?? ''} already ended (${e.status ?? 'finished'}); there is nothing to cancel.`,
      };
    case 'notOwner':
      return {
        exitCode: exitCodes.auth,
        message: `${sentence(e.message)} Ask the run's owner or an environment admin, or use an account that owns the run.`,
      };
    case 'runNotFound':
      return {
        exitCode: exitCodes.usage,
        message: `${sentence(e.message)} Check the run id (\`desktop-flows runs <flow>\` lists recent runs) and --env.`,
      };
    case 'outcomeUnknown':
      return { exitCode: exitCodes.outcomeUnknown, message: outcomeUnknownMessage(e) };
  }
}

/** The command that lists the runs an uncertain start may have created. */
export function checkRunsCommand(flow: string, since: string | undefined, env?: string): string {
  const quote = (v: string): string => (/^[\w.:/-]+$/.test(v) ? v : `"${v.replace(/(["\\$`])/g, '\\$1')}"`);
  return `desktop-flows runs ${quote(flow)}${env === undefined ? '' : ` --env ${quote(env)}`}${since === undefined ? '' : ` --since ${since}`}`;
}

/** The outcome-unknown report: what is known, the candidate runs, and how to check them. */
export function outcomeUnknownMessage(e: RunError, env?: string): string {
  const flow = e.flowName ?? e.flowId ?? '<flow>';
  const ids = e.candidateRunIds;
  const candidates =
    ids.length === 0
      ? ' No candidate run was found.'
      : ` Candidate run${ids.length === 1 ? '' : 's'}: ${ids.join(', ')}.`;
  return `${sentence(e.message)}${candidates} It was not sent again. Check with \`${checkRunsCommand(flow, e.since, env)}\` before starting it again.`;
}

/** The exit code and one-line message for any failure. */
export function describeFailure(e: unknown): FailureReport {
  let report: FailureReport;
  if (CliError.is(e)) {
    report = { exitCode: e.exitCode, message: e.message };
  } else if (CancellationError.is(e)) {
    report = { exitCode: exitCodes.interrupted, message: 'Interrupted.' };
  } else if (RunError.is(e)) {
    report = describeRunError(e);
  } else if (AuthError.is(e)) {
    report = describeAuthError(e);
  } else if (ApiError.is(e)) {
    report = describeApiError(e);
  } else {
    const text = e instanceof Error ? e.message : String(e);
    report = {
      exitCode: exitCodes.service,
      message: `Unexpected error: ${sentence(text)} Run again with --verbose for details.`,
    };
  }
  return { exitCode: report.exitCode, message: secretMasker.mask(report.message.replace(/\s*\n\s*/g, ' ')) };
}
