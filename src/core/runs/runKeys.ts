/**
 * The one way to build a map key for an org, a flow or a run. Org URLs compare without trailing slashes
 * and case; flow and run ids (GUIDs) compare without braces and case. Every cache, journal and watcher in
 * core keys by these, so `https://Org.crm.dynamics.com/` and `https://org.crm.dynamics.com` are one org.
 */
import { trimTrailingSlashes } from '../http/urlSafety';

/** An id (GUID) as a key part: trimmed, braces removed, lower-cased. */
export function idKey(id: string): string {
  return id
    .trim()
    .replace(/^\{|\}$/g, '')
    .toLowerCase();
}

/** The key of a Dataverse org: its URL without trailing slashes, lower-cased. */
export function orgKey(orgUrl: string): string {
  return trimTrailingSlashes(orgUrl.trim()).toLowerCase();
}

/** The key of a flow in an org. */
export function flowKey(orgUrl: string, flowId: string): string {
  return `${orgKey(orgUrl)}|flow:${idKey(flowId)}`;
}

/** The key of a run (flow session) in an org. */
export function runKey(orgUrl: string, runId: string): string {
  return `${orgKey(orgUrl)}|run:${idKey(runId)}`;
}
