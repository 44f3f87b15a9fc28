/**
 * Plain-language remedies for the error codes documented in docs/service-contract.md#dataverse-conventions (run-time codes in
 * `flowsession.errorcode`, queue sub-codes, and the Dataverse codes a run request can fail with) and the
 * licence check codes of section 4.2. This table is the one place in the core that holds user-facing
 * words, because the CLI needs them as much as the VS Code UI does. Keep entries factual: what the code
 * means and what a maker can check, nothing speculative.
 */

/** What a code means and what to do about it. */
export interface Remedy {
  /** Short statement of what went wrong. */
  readonly title: string;
  /** What the maker can do, in one or two sentences. */
  readonly remedy: string;
}

const machineOffline: Remedy = {
  title: 'The machine could not be reached',
  remedy:
    'Check that the machine is on, connected to the network and shows as connected in Power Automate (Monitor > Machines), and that the Power Automate machine runtime is signed in.',
};

const sessionCreation: Remedy = {
  title: 'Windows could not create a session for the unattended run',
  remedy:
    "Check the connection's Windows user name and password, that the account may sign in through Remote Desktop on the machine, and that no policy blocks the sign-in.",
};

const internalTransport: Remedy = {
  title: 'The machine and the service could not exchange the run',
  remedy:
    'Run the flow again. If it keeps happening, update the Power Automate machine runtime and restart its service.',
};

const agentDown: Remedy = {
  title: 'The Power Automate agent on the machine is not available',
  remedy:
    'Check that the Power Automate service is running on the machine (restart it if needed), then run the flow again.',
};

const rdpMissing: Remedy = {
  title: 'Remote Desktop prerequisites are missing on the machine',
  remedy:
    "Unattended runs sign in through Remote Desktop: enable Remote Desktop on the machine and add the connection's account to the Remote Desktop Users group.",
};

const table: Readonly<Record<string, Remedy>> = {
  // Run-time failures (flowsession.errorcode).
  UnsupportedRpaScriptSchemaVersion: {
    title: "The machine's Power Automate for desktop is too old for this flow",
    remedy:
      'Update Power Automate for desktop on the machine to the version the flow was saved with, or newer.',
  },
  InvalidUIFlowsCertificates: {
    title: "The machine's registration certificates are not valid",
    remedy: 'Re-register the machine in the Power Automate machine runtime app, then run the flow again.',
  },
  WindowsIdentityIncorrect: {
    title: "The connection's Windows credentials are wrong",
    remedy:
      'Edit the desktop-flow connection and enter the Windows account (DOMAIN\\user or user@domain) and password that can sign in to the machine.',
  },
  NoUnlockedActiveSessionForAttended: {
    title: 'No unlocked Windows session for the attended run',
    remedy:
      "Attended runs need the connection's user signed in on the machine with an unlocked session. Sign in and unlock the machine, or run the flow unattended.",
  },
  SessionCreationError: sessionCreation,
  SessionCreationWinLogonFailure: sessionCreation,
  SessionCreationInvalidCredentials: {
    title: 'Windows rejected the connection credentials for the unattended run',
    remedy: "Update the desktop-flow connection with the account's current Windows password.",
  },
  SessionExistsForTheUserWhenUnattended: {
    title: 'The user already has a Windows session on the machine',
    remedy:
      "Unattended runs need no other session for the connection's user: sign that user out of the machine (including disconnected sessions), or run the flow attended.",
  },
  SessionNotFound: {
    title: 'The Windows session for the run was not found',
    remedy: 'The session ended before the run could use it. Run the flow again.',
  },
  TooManyActiveSessions: {
    title: 'The machine has reached its limit of active sessions',
    remedy:
      'Sign out unused sessions on the machine, raise its session limit if it runs Windows Server, or target a machine group with more machines.',
  },
  ExistingRecordingSession: {
    title: 'A recording is in progress on the machine',
    remedy: 'Stop the recording in Power Automate for desktop, then run the flow again.',
  },
  LocalPlaybackOrRecordingOngoing: {
    title: 'Something is already running or recording locally on the machine',
    remedy:
      'Wait for the local run or recording in Power Automate for desktop to finish, then run the flow again.',
  },
  UIFlowAlreadyRunning: {
    title: 'Another desktop flow is running on the machine',
    remedy: 'Wait for it to finish, or target a machine group so the run can go to a free machine.',
  },
  UnattendedUnsupportedWithOldConnection: {
    title: 'This connection cannot run flows unattended',
    remedy:
      'Create a new desktop-flow connection that targets the machine or machine group directly, or run the flow attended.',
  },
  RDPIsNotEnabled: rdpMissing,
  RdpPermissionNotGranted: rdpMissing,
  AadLogonFailure: {
    title: 'Signing in to the machine with Microsoft Entra ID failed',
    remedy:
      "Check that the machine is joined to Microsoft Entra ID and the connection's account can sign in to it.",
  },
  Win10AlreadyHasActiveSession: {
    title: 'Windows 10/11 allows only one session, and one is active',
    remedy:
      'Sign every user out of the machine for unattended runs, or use a Windows Server machine for parallel sessions.',
  },
  UIFlowAgentNotAvailable: agentDown,
  UIFlowAgentLauncherServiceIsNotRunning: agentDown,
  UnableToCallCrlEndpoint: {
    title: 'The machine could not check certificate revocation',
    remedy:
      'Allow the machine to reach the certificate revocation list (CRL) endpoints through its firewall or proxy.',
  },
  NoListenerConnected: machineOffline,
  ConnectionNotEstablished: machineOffline,
  DnsError: machineOffline,
  ConnectionTimeout: machineOffline,
  EndpointDoNotExist: machineOffline,
  GroupIsEmpty: {
    title: 'The machine group has no machines',
    remedy:
      'Add at least one machine to the group, or point the connection at a group or machine that has machines.',
  },
  NoCandidateMachine: {
    title: 'No machine became available before the queue timeout',
    remedy:
      'The run waited in the queue (at most about 6 hours) without a free machine. Check the machines in the group are connected and not busy or in maintenance, or raise the run priority.',
  },
  DesktopFlowsActionThrottled: {
    title: 'The desktop flow action was throttled',
    remedy:
      'Too many runs were started in a short time (at most 70 per minute per connection). Wait a minute and run it again.',
  },
  DesktopFlowsActionTimeout: {
    title: 'The run took longer than its timeout',
    remedy: 'Raise the run timeout (at most 24 hours), or find out which step is slow in the action log.',
  },
  OnPremiseDataGatewayNotAvailable: {
    title: 'The on-premises data gateway is not available',
    remedy:
      'This connection uses a gateway (legacy). Check the gateway is running, or create a direct machine connection instead.',
  },
  AuthTokenNotYetValid: {
    title: "The machine's clock is out of sync",
    remedy: 'Synchronise the machine clock with an internet time source, then run the flow again.',
  },
  TotalChunksMismatch: internalTransport,
  DesktopFlowMalformedMachineResponse: internalTransport,
  WcfServerCrash: internalTransport,
  XrmMachineGroupNotFound: {
    title: 'The machine group was not found',
    remedy:
      'The group was deleted or is not shared with you. Point the connection at an existing machine group.',
  },
  // Queue sub-codes: why a queued run waits or cannot be assigned.
  UnattendedUserSessionDisconnected: {
    title: "A disconnected session of the connection's user blocks the unattended run",
    remedy:
      'Sign that user out of the machine completely (not just disconnect), or enable session reuse on the machine group.',
  },
  UnattendedUserSessionLocked: {
    title: "A locked session of the connection's user blocks the unattended run",
    remedy: 'Sign that user out of the machine, or enable session reuse on the machine group.',
  },
  AttendedUserSessionNotActive: {
    title: "The connection's user has no active session for the attended run",
    remedy: 'Sign in to the machine as that user and keep the session active and unlocked.',
  },
  AttendedUserNotLoggedIn: {
    title: "The connection's user is not signed in to the machine",
    remedy: 'Attended runs need the user signed in. Sign in to the machine, or run the flow unattended.',
  },
  // Licence check codes (RunDesktopFlowResponse.licenseCheck, section 4.2).
  LicensingCheckFailed: {
    title: 'The licence check could not be completed',
    remedy:
      'The run may still go ahead. If runs are blocked, ask your administrator to check your Power Automate licences.',
  },
  AttendedNoLicense: {
    title: 'The connection owner has no licence for attended runs',
    remedy:
      'Attended runs need Power Automate Premium for the connection owner. Ask your administrator to assign it.',
  },
  UnattendedNoAddon: {
    title: 'No unattended capacity for this run',
    remedy:
      'Unattended runs need a Power Automate Process licence or Unattended RPA add-on allocated to the environment or machine. Ask your administrator.',
  },
  // Dataverse error codes a run request or status query can fail with.
  '0x80040220': {
    title: 'You are missing a privilege',
    remedy:
      'Anyone with User access can start a flow, but checking a run and cancelling it need Owner access to it. Ask the flow owner or an administrator.',
  },
  '0x80040217': {
    title: 'The record does not exist',
    remedy: 'The flow or run was deleted, or is not shared with you. Refresh the list.',
  },
  '0x8006088a': {
    title: 'The environment does not have desktop flow tables',
    remedy: 'Desktop flows need a Dataverse environment with Power Automate. Pick another environment.',
  },
  '0x80060888': {
    title: 'The request was malformed',
    remedy: 'An id in the request is not a valid GUID. Refresh the list and try again.',
  },
  '0x80072322': {
    title: 'Too many requests',
    remedy:
      'The Dataverse request limit (6,000 per 5 minutes per user) was reached. Requests resume after the wait the service asked for.',
  },
  '0x80072321': {
    title: 'Too much server time used',
    remedy:
      'The Dataverse execution-time limit (20 minutes per 5 minutes per user) was reached. Requests resume after the wait the service asked for.',
  },
  '0x80072326': {
    title: 'Too many concurrent requests',
    remedy:
      'Dataverse allows about 52 concurrent requests per user. Requests resume after the wait the service asked for.',
  },
};

/**
 * The remedy for an error code from `flowsession.errorcode`, a licence check code, or a Dataverse error
 * code (hex, any case). `undefined` for codes the documentation does not describe.
 */
export function remedyFor(errorCode: string | undefined): Remedy | undefined {
  if (errorCode === undefined) {
    return undefined;
  }
  const code = errorCode.trim();
  if (code === '') {
    return undefined;
  }
  // Own-property lookup only, so codes like "constructor" never hit Object.prototype.
  const direct = Object.prototype.hasOwnProperty.call(table, code) ? table[code] : undefined;
  if (direct !== undefined) {
    return direct;
  }
  const lower = code.toLowerCase();
  if (lower.startsWith('0x') && Object.prototype.hasOwnProperty.call(table, lower)) {
    return table[lower];
  }
  return undefined;
}

/** Every code with a remedy (for docs, completeness tests and the CLI's `remedies` listing). */
export function knownErrorCodes(): readonly string[] {
  return Object.keys(table);
}
