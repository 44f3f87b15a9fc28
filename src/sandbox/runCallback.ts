/** The completion callback of a run (reference 4.8), which the real service sends when a run ends. */
import type { Logger } from '../core/logger';
import type { SandboxClock } from './clock';
import type { Run } from './environmentState';

/** POSTs the completion callback (reference 4.8): 3 more attempts 1 s apart on 408 or 5xx. */
export async function postRunCallback(run: Run, clock: SandboxClock, logger: Logger): Promise<void> {
  const r = run.row;
  const body = JSON.stringify({
    statuscode: r.statuscode,
    statecode: r.statecode,
    startedon: r.startedon,
    completedon: r.completedon,
    flowsessionid: r.flowsessionid,
  });
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      const res = await fetch(run.callbackUrl as string, {
        method: 'POST',
        headers: {
          'user-agent': 'EnterpriseConnectors/1.0',
          'content-type': 'application/json; charset=utf-8',
          'x-ms-workflow-id': run.flow.id,
          'x-ms-run-id': String(r.flowsessionid),
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      if (res.status !== 408 && res.status < 500) {
        return;
      }
    } catch (e) {
      logger.warn(
        `[sandbox] callback for run ${String(r.flowsessionid)} failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    await clock.sleep(1000);
  }
}
