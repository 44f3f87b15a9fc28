import type { ApiError } from './errors';

/**
 * The reference a support ticket quotes for a service error: HTTP status, the service's own error code and
 * the request id, as "HTTP 403, 0x80040220, request 5c1f…" (parts that are unknown are left out; empty when
 * none is known). The one formatter shared by the extension's messages, the run transcript and the CLI.
 */
export function formatApiErrorReference(e: Pick<ApiError, 'status' | 'code' | 'requestId'>): string {
  return [
    e.status === undefined ? undefined : `HTTP ${e.status}`,
    e.code === undefined || e.code.trim() === '' ? undefined : e.code.trim(),
    e.requestId === undefined || e.requestId.trim() === '' ? undefined : `request ${e.requestId.trim()}`,
  ]
    .filter((p): p is string => p !== undefined)
    .join(', ');
}

/** The reference in parentheses with a leading space (" (HTTP 503, request …)"), or '' when none is known. */
export function apiErrorReferenceSuffix(e: Pick<ApiError, 'status' | 'code' | 'requestId'>): string {
  const ref = formatApiErrorReference(e);
  return ref === '' ? '' : ` (${ref})`;
}
