/**
 * A Power Platform environment with Dataverse, as listed by the Global Discovery Service and, where BAP
 * answers, enriched with its SKU and default flag (docs/service-contract.md#environments).
 */
import { trimTrailingSlashes } from '../http/urlSafety';
import { optionalBoolean, optionalNumber, optionalRecord, optionalString } from './dtoFields';

/** BAP `environmentSku` values; other strings are kept as they come. */
export type EnvironmentSku =
  'Production' | 'Sandbox' | 'Developer' | 'Trial' | 'Default' | 'Teams' | (string & {});

/** An environment the signed-in user can reach. */
export interface Environment {
  /** Power Platform environment id (GDS `EnvironmentId`, BAP `name`): used by Power Apps and portal links. */
  readonly id: string;
  readonly displayName: string;
  /** Dataverse organization URL without trailing slash: the `{org}` of every Dataverse call and its token audience. */
  readonly orgUrl: string;
  /** GDS `ApiUrl` ("location of web services"), without trailing slash, when given. */
  readonly apiUrl: string | undefined;
  /** Dataverse organization id. */
  readonly organizationId: string | undefined;
  readonly uniqueName: string | undefined;
  readonly tenantId: string | undefined;
  /** Region code, e.g. `NA`, `EMEA`. */
  readonly region: string | undefined;
  readonly version: string | undefined;
  /** GDS `State`: 0 enabled, 1 disabled. */
  readonly enabled: boolean;
  readonly isUserSysAdmin: boolean | undefined;
  readonly trialExpiresOn: string | undefined;
  /** From BAP only; `undefined` when BAP was unavailable. */
  readonly sku: EnvironmentSku | undefined;
  /** From BAP only; `undefined` when BAP was unavailable. */
  readonly isDefault: boolean | undefined;
  /** Where the data came from: GDS alone, GDS joined with BAP, or the org itself (an org URL, no discovery). */
  readonly source: 'discovery' | 'discovery+bap' | 'org';
}

/** One `Instances` row of the Global Discovery Service (fields the client selects). */
export interface DiscoveryInstanceDto {
  readonly Id?: string;
  readonly UniqueName?: string;
  readonly FriendlyName?: string;
  readonly Url?: string;
  readonly ApiUrl?: string;
  readonly EnvironmentId?: string;
  readonly TenantId?: string;
  readonly Region?: string;
  readonly State?: number;
  readonly Version?: string;
  readonly IsUserSysAdmin?: boolean;
  readonly TrialExpirationDate?: string | null;
  readonly [field: string]: unknown;
}

/** One BAP environment (only the fields used for enrichment are typed). */
export interface BapEnvironmentDto {
  readonly name?: string;
  readonly properties?: {
    readonly displayName?: string;
    readonly environmentSku?: string;
    readonly isDefault?: boolean;
    readonly linkedEnvironmentMetadata?: {
      readonly instanceUrl?: string;
      readonly [field: string]: unknown;
    } | null;
    readonly [field: string]: unknown;
  };
  readonly [field: string]: unknown;
}

/** The GDS fields the client asks for. */
export const discoveryInstanceSelect = [
  'Id',
  'UniqueName',
  'FriendlyName',
  'Url',
  'ApiUrl',
  'EnvironmentId',
  'TenantId',
  'Region',
  'State',
  'Version',
  'IsUserSysAdmin',
  'TrialExpirationDate',
] as const;

/**
 * Normalise a GDS instance (and its BAP twin, when known). Returns `undefined` for a row without the
 * fields every caller needs (an org URL and an id), so one odd row cannot break a listing.
 */
export function environmentFromDto(
  instance: DiscoveryInstanceDto,
  bap?: BapEnvironmentDto,
): Environment | undefined {
  const url = optionalString(instance.Url);
  const id =
    optionalString(instance.EnvironmentId) ?? optionalString(bap?.name) ?? optionalString(instance.Id);
  if (url === undefined || id === undefined) {
    return undefined;
  }
  const apiUrl = optionalString(instance.ApiUrl);
  const properties = optionalRecord(bap?.properties);
  return {
    id,
    displayName:
      optionalString(instance.FriendlyName) ??
      optionalString(properties?.displayName) ??
      optionalString(instance.UniqueName) ??
      id,
    orgUrl: trimTrailingSlashes(url),
    apiUrl: apiUrl === undefined ? undefined : trimTrailingSlashes(apiUrl),
    organizationId: optionalString(instance.Id),
    uniqueName: optionalString(instance.UniqueName),
    tenantId: optionalString(instance.TenantId),
    region: optionalString(instance.Region),
    version: optionalString(instance.Version),
    enabled: (optionalNumber(instance.State) ?? 0) === 0,
    isUserSysAdmin: optionalBoolean(instance.IsUserSysAdmin),
    trialExpiresOn: optionalString(instance.TrialExpirationDate),
    sku: optionalString(properties?.environmentSku),
    isDefault: properties === undefined ? undefined : (optionalBoolean(properties.isDefault) ?? false),
    source: bap === undefined ? 'discovery' : 'discovery+bap',
  };
}

/**
 * The org URL a setting or argument names, when it is a URL: trailing slashes and a pasted Web API path
 * (`/api/data/v9.2`) removed. `undefined` for ids and names (those are looked up through discovery).
 */
export function orgUrlOf(key: string): string | undefined {
  const value = key.trim();
  if (!/^https?:\/\//i.test(value)) {
    return undefined;
  }
  try {
    const url = new URL(value);
    return trimTrailingSlashes(`${url.origin}${url.pathname.replace(/\/api\/data\/v\d+(\.\d+)?\/?$/i, '')}`);
  } catch {
    return undefined;
  }
}

/** What an org says about itself (`RetrieveCurrentOrganization`), when it answers. */
export interface OrganizationFacts {
  readonly friendlyName: string | undefined;
  readonly uniqueName: string | undefined;
  readonly environmentId: string | undefined;
  readonly organizationId: string | undefined;
}

/**
 * The environment at an org URL, from the org alone (no discovery): named by its friendly name, else its
 * host; its id is the environment id the org gives, else the org URL.
 */
export function environmentFromOrganization(
  orgUrl: string,
  facts: OrganizationFacts | undefined,
): Environment {
  const url = trimTrailingSlashes(orgUrl);
  return {
    id: facts?.environmentId ?? url,
    displayName: facts?.friendlyName ?? new URL(url).host,
    orgUrl: url,
    apiUrl: undefined,
    organizationId: facts?.organizationId,
    uniqueName: facts?.uniqueName,
    tenantId: undefined,
    region: undefined,
    version: undefined,
    enabled: true,
    isUserSysAdmin: undefined,
    trialExpiresOn: undefined,
    sku: undefined,
    isDefault: undefined,
    source: 'org',
  };
}
