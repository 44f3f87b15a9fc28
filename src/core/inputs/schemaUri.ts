/**
 * The `desktopflows-schema:` URIs that input files put in `"$schema"`:
 *
 * - `desktopflows-schema:/<flowId>.json`: the flow in the current environment;
 * - `desktopflows-schema:/<environment>/<flowId>.json`: `<environment>` is an environment id
 *   (`Default-<tenant>` included) or a Dataverse org unique name.
 *
 * The path form (no authority) is used because VS Code's `Uri` keeps it as written: an authority would
 * be lower-cased, and the JSON language service hands any non-http(s) schema URI to
 * `workspace.openTextDocument`, i.e. to the TextDocumentContentProvider registered for the scheme.
 * Segments are percent-encoded, so any id round-trips.
 */

/** The URI scheme the VS Code layer registers its schema content provider for. */
export const schemaUriScheme = 'desktopflows-schema';

/** What a schema URI names. */
export interface SchemaUriTarget {
  readonly flowId: string;
  /** Environment id or org unique name; absent = "whichever environment the flow is run in". */
  readonly environment?: string;
}

/** `desktopflows-schema:/<environment>/<flowId>.json`, or without the environment segment. */
export function formatSchemaUri(target: SchemaUriTarget): string {
  const flow = `${encodeURIComponent(target.flowId)}.json`;
  return target.environment === undefined || target.environment === ''
    ? `${schemaUriScheme}:/${flow}`
    : `${schemaUriScheme}:/${encodeURIComponent(target.environment)}/${flow}`;
}

/** True when `uri` uses the `desktopflows-schema` scheme (well-formed or not). */
export function hasSchemaUriScheme(uri: string): boolean {
  return uri.slice(0, schemaUriScheme.length + 1).toLowerCase() === `${schemaUriScheme}:`;
}

function decode(segment: string): string | undefined {
  try {
    const d = decodeURIComponent(segment);
    return d.trim() === '' ? undefined : d;
  } catch {
    return undefined;
  }
}

/**
 * Parse a schema URI; `undefined` when it is not a well-formed `desktopflows-schema:` URI. Accepts the
 * empty-authority spelling `desktopflows-schema:///…` and ignores a query or fragment (VS Code may add
 * one to force a reload).
 */
export function parseSchemaUri(uri: string): SchemaUriTarget | undefined {
  if (!hasSchemaUriScheme(uri)) {
    return undefined;
  }
  let path = uri.slice(schemaUriScheme.length + 1).replace(/[?#].*$/s, '');
  if (path.startsWith('///')) {
    path = path.slice(2);
  }
  const match = /^\/(?:([^/]+)\/)?([^/]+)\.json$/i.exec(path);
  if (match === null) {
    return undefined;
  }
  const flowId = decode(match[2] ?? '');
  if (flowId === undefined) {
    return undefined;
  }
  if (match[1] === undefined) {
    return { flowId };
  }
  const environment = decode(match[1]);
  return environment === undefined ? undefined : { flowId, environment };
}
