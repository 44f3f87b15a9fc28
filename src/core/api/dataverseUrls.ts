/**
 * How Dataverse Web API requests are addressed (docs/service-contract.md#dataverse-conventions): the `{org}/api/data/v9.2/` base, the org
 * URL as token audience, GUID keys, OData string literals and the standard headers.
 */
import { ApiError } from '../errors';
import { trimTrailingSlashes } from '../http/urlSafety';

/** The org URL as a token audience and base: trimmed, no trailing slash (docs/service-contract.md#authentication-scopes). */
export function orgResource(org: string): string {
  return trimTrailingSlashes(org);
}

/** `{org}/api/data/v9.2/<path>`. */
export function dataverseUrl(org: string, path: string): string {
  return `${orgResource(org)}/api/data/v9.2/${path.replace(/^\/+/, '')}`;
}

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A record id for key syntax (`workflows(<id>)`). Ids are checked here because a malformed one would
 * otherwise change the URL path; Dataverse itself answers 400 `0x80060888` for them.
 */
export function guidKey(id: string): string {
  const trimmed = id.trim().replace(/^\{(.*)\}$/, '$1');
  if (!guidPattern.test(trimmed)) {
    throw new ApiError({
      reason: 'badRequest',
      code: '0x80060888',
      message: `"${id}" is not a valid record id (a GUID).`,
      mayHaveReachedService: false,
    });
  }
  return trimmed.toLowerCase();
}

/** An OData string literal: single-quoted, with quotes doubled. */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Headers every Dataverse request carries. */
export const dataverseHeaders: Readonly<Record<string, string>> = {
  'OData-MaxVersion': '4.0',
  'OData-Version': '4.0',
};

/** Ask for formatted values (labels for choices and lookups), not the bulky CDS error annotations. */
export const formattedValuesPreference =
  'odata.include-annotations="OData.Community.Display.V1.FormattedValue"';
