import assert from 'node:assert/strict';
import { knownErrorCodes, remedyFor } from '../../../src/core/runs/remedies';

describe('runs: remedies for documented error codes', () => {
  // Every run-time and queue code listed in reference section 4.10, and the licence codes of 4.2.
  const documented = [
    'UnsupportedRpaScriptSchemaVersion',
    'InvalidUIFlowsCertificates',
    'WindowsIdentityIncorrect',
    'NoUnlockedActiveSessionForAttended',
    'SessionCreationError',
    'SessionCreationWinLogonFailure',
    'SessionCreationInvalidCredentials',
    'SessionExistsForTheUserWhenUnattended',
    'SessionNotFound',
    'TooManyActiveSessions',
    'ExistingRecordingSession',
    'LocalPlaybackOrRecordingOngoing',
    'UIFlowAlreadyRunning',
    'UnattendedUnsupportedWithOldConnection',
    'RDPIsNotEnabled',
    'RdpPermissionNotGranted',
    'AadLogonFailure',
    'Win10AlreadyHasActiveSession',
    'UIFlowAgentNotAvailable',
    'UIFlowAgentLauncherServiceIsNotRunning',
    'UnableToCallCrlEndpoint',
    'NoListenerConnected',
    'ConnectionNotEstablished',
    'DnsError',
    'ConnectionTimeout',
    'EndpointDoNotExist',
    'GroupIsEmpty',
    'NoCandidateMachine',
    'DesktopFlowsActionThrottled',
    'DesktopFlowsActionTimeout',
    'OnPremiseDataGatewayNotAvailable',
    'AuthTokenNotYetValid',
    'TotalChunksMismatch',
    'DesktopFlowMalformedMachineResponse',
    'WcfServerCrash',
    'XrmMachineGroupNotFound',
    'UnattendedUserSessionDisconnected',
    'UnattendedUserSessionLocked',
    'AttendedUserSessionNotActive',
    'AttendedUserNotLoggedIn',
    'LicensingCheckFailed',
    'AttendedNoLicense',
    'UnattendedNoAddon',
    '0x80040220',
    '0x80040217',
    '0x8006088a',
    '0x80060888',
    '0x80072322',
    '0x80072321',
    '0x80072326',
  ];

  it('has a title and a remedy for every documented code', () => {
    for (const code of documented) {
      const r = remedyFor(code);
      assert.ok(r, `no remedy for ${code}`);
      assert.ok(r.title.length > 5 && r.remedy.length > 20, `thin remedy for ${code}`);
      assert.ok(!/TODO|TBD/i.test(r.title + r.remedy));
    }
    assert.deepEqual([...knownErrorCodes()].sort(), [...documented].sort());
  });

  it('says what to do about the common attended and queue failures', () => {
    assert.match(remedyFor('NoUnlockedActiveSessionForAttended')?.remedy ?? '', /unlock/i);
    assert.match(remedyFor('GroupIsEmpty')?.remedy ?? '', /add at least one machine/i);
    assert.match(remedyFor('NoCandidateMachine')?.title ?? '', /queue/i);
    assert.match(remedyFor('DesktopFlowsActionTimeout')?.remedy ?? '', /timeout/i);
    assert.match(remedyFor('WindowsIdentityIncorrect')?.remedy ?? '', /password/i);
  });

  it('matches Dataverse hex codes in any case and knows nothing about undocumented codes', () => {
    assert.equal(remedyFor('0x8006088A'), remedyFor('0x8006088a'));
    assert.equal(remedyFor('SomethingNew'), undefined);
    assert.equal(remedyFor('constructor'), undefined);
    assert.equal(remedyFor(''), undefined);
    assert.equal(remedyFor(undefined), undefined);
  });
});
