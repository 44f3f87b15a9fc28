import assert from 'node:assert/strict';
import { ApiError } from '../../../src/core/errors';
import { connectionFromDto } from '../../../src/core/model/connection';
import { environmentFromDto } from '../../../src/core/model/environment';
import { flowFromDto } from '../../../src/core/model/flow';
import { flowSchemaFromText } from '../../../src/core/model/flowSchema';
import {
  isTerminal,
  runFromDto,
  runStartFromDto,
  runStatusFromCode,
  type RunStatus,
} from '../../../src/core/model/run';
import { runActionLogFromDto } from '../../../src/core/model/runActionLog';
import { guidKey } from '../../../src/core/api/dataverseUrls';

describe('fromDto normalisers', () => {
  it('environment: strips trailing slashes from org URLs and keeps GDS-only data when BAP is missing', () => {
    const env = environmentFromDto({
      EnvironmentId: 'env-1',
      FriendlyName: 'Contoso Dev',
      Url: 'https://contoso-dev.crm.dynamics.com/',
      ApiUrl: 'https://contoso-dev.api.crm.dynamics.com//',
      State: 1,
    });
    assert.ok(env);
    assert.equal(env.orgUrl, 'https://contoso-dev.crm.dynamics.com');
    assert.equal(env.apiUrl, 'https://contoso-dev.api.crm.dynamics.com');
    assert.equal(env.enabled, false);
    assert.equal(env.sku, undefined);
    assert.equal(env.source, 'discovery');
    const withBap = environmentFromDto(
      { EnvironmentId: 'env-1', Url: 'https://x' },
      { name: 'env-1', properties: { environmentSku: 'Sandbox', isDefault: true } },
    );
    assert.equal(withBap?.sku, 'Sandbox');
    assert.equal(withBap?.isDefault, true);
    assert.equal(withBap?.source, 'discovery+bap');
    assert.equal(environmentFromDto({ FriendlyName: 'no url' }), undefined);
  });

  it('flow: maps state, type and draft layer, and falls back to the id for a missing name', () => {
    const flow = flowFromDto({
      workflowid: 'f1',
      statecode: 1,
      uiflowtype: 2,
      componentstate: 1,
      '_ownerid_value@OData.Community.Display.V1.FormattedValue': 'Maker',
    });
    assert.deepEqual(
      [flow?.name, flow?.state, flow?.uiFlowType, flow?.isUnpublished, flow?.ownerName],
      ['f1', 'activated', 'powerAutomateDesktop', true, 'Maker'],
    );
    assert.equal(flowFromDto({ name: 'x' }), undefined);
  });

  it('flow schema: parses documents, treats empty as none and rejects non-objects with a typed error', () => {
    assert.equal(flowSchemaFromText('inputs', ''), undefined);
    assert.equal(flowSchemaFromText('inputs', 'null'), undefined);
    assert.deepEqual(flowSchemaFromText('outputs', '{"schema":{"type":"object","properties":{}}}'), {
      schema: { type: 'object', properties: {} },
    });
    assert.deepEqual(flowSchemaFromText('inputs', JSON.stringify('{"schema":{}}')), { schema: {} });
    assert.throws(
      () => flowSchemaFromText('inputs', '[1]'),
      (e: unknown) => ApiError.is(e, 'server') && e.code === 'InvalidFlowSchema',
    );
    assert.throws(
      () => flowSchemaFromText('inputs', '{oops'),
      (e: unknown) => ApiError.is(e, 'server'),
    );
  });

  it('connection: healthy only with a Connected status; environment id from the resource id when name is missing', () => {
    const ok = connectionFromDto({
      name: 'shared-uiflow-1',
      properties: {
        displayName: 'CONTOSO\\bot',
        statuses: [{ status: 'Connected' }],
        environment: { id: '/providers/Microsoft.PowerApps/environments/env-9' },
        connectionParametersSet: {
          name: 'azureRelay',
          values: { targetId: { value: 'group-1' }, username: { value: 'CONTOSO\\bot' } },
        },
      },
    });
    assert.equal(ok?.status, 'connected');
    assert.equal(ok?.environmentId, 'env-9');
    assert.equal(ok?.targetMachineGroupId, 'group-1');
    assert.equal(ok?.parameterSetName, 'azureRelay');
    const broken = connectionFromDto({
      name: 'c2',
      properties: {
        statuses: [{ status: 'Error', target: 'token', error: { code: 'Unauthorized', message: 'expired' } }],
      },
    });
    assert.equal(broken?.status, 'error');
    assert.equal(broken?.statuses[0]?.errorCode, 'Unauthorized');
    assert.equal(connectionFromDto({ name: 'c3' })?.status, 'unknown');
  });

  it('run: derives finished from statuscode only', () => {
    const terminal: RunStatus[] = [
      'succeeded',
      'skipped',
      'cancelled',
      'failed',
      'faulted',
      'timedOut',
      'aborted',
      'ignored',
      'deleted',
      'terminated',
    ];
    const open: RunStatus[] = ['notSpecified', 'paused', 'running', 'waiting', 'suspended', 'unknown'];
    assert.ok(terminal.every(isTerminal));
    assert.ok(!open.some(isTerminal));
    assert.equal(runStatusFromCode(8), 'failed');
    assert.equal(runStatusFromCode(99), 'unknown');
    const run = runFromDto({ flowsessionid: 's1', statuscode: 4, statecode: 0, runmode: 2, triggertype: 3 });
    assert.deepEqual([run?.status, run?.runMode, run?.trigger], ['succeeded', 'unattended', 'dataverseApi']);
  });

  it('run start: keeps the license check and tolerates its absence', () => {
    assert.deepEqual(
      runStartFromDto({ flowsessionId: 's1', licenseCheck: { code: 'AttendedNoLicense', message: 'm' } }),
      {
        sessionId: 's1',
        licenseCheck: { code: 'AttendedNoLicense', message: 'm' },
      },
    );
    assert.deepEqual(runStartFromDto({ flowsessionId: 's1' }), { sessionId: 's1', licenseCheck: undefined });
    assert.equal(runStartFromDto({}), undefined);
  });

  it('action log: reads the V1 shape and ignores junk', () => {
    const log = runActionLogFromDto({
      actions: [
        {
          index: 1,
          name: 'Set variable',
          status: 'Succeeded',
          inputs: { Value: { localizedName: 'Value', value: '42' } },
          error: { code: 'E', message: 'm' },
        },
        'junk',
      ],
      childFlowsLogStatus: 'Default',
    });
    assert.equal(log.actions.length, 2);
    assert.equal(log.actions[0]?.inputs[0]?.value, '42');
    assert.equal(log.actions[0]?.errorCode, 'E');
    assert.equal(log.childFlowsLogStatus, 'Default');
    assert.deepEqual(runActionLogFromDto(null), { actions: [], childFlowsLogStatus: undefined });
  });

  it('record keys: accepts GUIDs (braced too) and refuses anything that could change the path', () => {
    assert.equal(guidKey('{6F3C0000-0000-0000-0000-000000000001}'), '6f3c0000-0000-0000-0000-000000000001');
    for (const bad of ['x)/foo', '', '1234', '6f3c0000-0000-0000-0000-000000000001)/delete']) {
      assert.throws(
        () => guidKey(bad),
        (e: unknown) => ApiError.is(e, 'badRequest') && !e.mayHaveReachedService,
      );
    }
  });
});
