/**
 * One endpoint table per cloud (docs/service-contract.md#clouds-and-endpoints). Nothing else in the code base hard-codes a host:
 * every URL is built from a `CloudEndpoints` value. The sandbox gets its own table, built from the
 * sandbox's base URL, so the same client code runs against the real hosts and against the sandbox.
 */

export type CloudName = 'Public' | 'GCC' | 'GCCHigh' | 'DoD' | 'China' | 'Sandbox';

export const cloudNames: readonly CloudName[] = ['Public', 'GCC', 'GCCHigh', 'DoD', 'China', 'Sandbox'];

export interface CloudEndpoints {
  readonly name: CloudName;
  /** Entra authority host, e.g. `https://login.microsoftonline.com` (tenant is appended). */
  readonly authorityHost: string;
  /** Global Discovery Service base, e.g. `https://globaldisco.crm.dynamics.com`. */
  readonly discoveryUrl: string;
  /** Token audience (resource) for discovery. */
  readonly discoveryResource: string;
  /** BAP base, e.g. `https://api.bap.microsoft.com`. */
  readonly bapUrl: string;
  /** Power Apps resource provider base, e.g. `https://api.powerapps.com`. */
  readonly powerAppsUrl: string;
  /** Token audience (resource) for BAP and Power Apps. */
  readonly powerAppsResource: string;
  /** Power Automate maker portal, for deep links. */
  readonly portalUrl: string;
  /** Maximum UTF-8 byte size of the serialized `inputs` string of RunDesktopFlow. */
  readonly inputLimitBytes: number;
  /** Hosts msal must trust without instance discovery (the sandbox's identity host). */
  readonly knownAuthorities?: readonly string[];
}

const twoMegabytes = 2 * 1024 * 1024;
const oneMegabyte = 1024 * 1024;

export const clouds: Readonly<Record<Exclude<CloudName, 'Sandbox'>, CloudEndpoints>> = {
  Public: {
    name: 'Public',
    authorityHost: 'https://login.microsoftonline.com',
    discoveryUrl: 'https://globaldisco.crm.dynamics.com',
    discoveryResource: 'https://globaldisco.crm.dynamics.com',
    bapUrl: 'https://api.bap.microsoft.com',
    powerAppsUrl: 'https://api.powerapps.com',
    powerAppsResource: 'https://service.powerapps.com',
    portalUrl: 'https://make.powerautomate.com',
    inputLimitBytes: twoMegabytes,
  },
  GCC: {
    name: 'GCC',
    authorityHost: 'https://login.microsoftonline.com',
    discoveryUrl: 'https://globaldisco.crm9.dynamics.com',
    discoveryResource: 'https://globaldisco.crm9.dynamics.com',
    bapUrl: 'https://gov.api.bap.microsoft.us',
    powerAppsUrl: 'https://gov.api.powerapps.us',
    // Sources disagree (Terraform vs the PowerShell module); Terraform's value is used.
    powerAppsResource: 'https://service.powerapps.us',
    portalUrl: 'https://gov.powerautomate.us',
    inputLimitBytes: twoMegabytes,
  },
  GCCHigh: {
    name: 'GCCHigh',
    authorityHost: 'https://login.microsoftonline.us',
    discoveryUrl: 'https://globaldisco.crm.microsoftdynamics.us',
    discoveryResource: 'https://globaldisco.crm.microsoftdynamics.us',
    bapUrl: 'https://high.api.bap.microsoft.us',
    powerAppsUrl: 'https://high.api.powerapps.us',
    powerAppsResource: 'https://high.service.apps.appsplatform.us',
    portalUrl: 'https://high.powerautomate.us',
    inputLimitBytes: twoMegabytes,
  },
  DoD: {
    name: 'DoD',
    authorityHost: 'https://login.microsoftonline.us',
    discoveryUrl: 'https://globaldisco.crm.appsplatform.us',
    discoveryResource: 'https://globaldisco.crm.appsplatform.us',
    bapUrl: 'https://api.bap.appsplatform.us',
    powerAppsUrl: 'https://api.apps.appsplatform.us',
    powerAppsResource: 'https://service.apps.appsplatform.us',
    portalUrl: 'https://make.powerautomate.appsplatform.us',
    inputLimitBytes: twoMegabytes,
  },
  China: {
    name: 'China',
    authorityHost: 'https://login.chinacloudapi.cn',
    discoveryUrl: 'https://globaldisco.crm.dynamics.cn',
    discoveryResource: 'https://globaldisco.crm.dynamics.cn',
    bapUrl: 'https://api.bap.partner.microsoftonline.cn',
    powerAppsUrl: 'https://api.powerapps.cn',
    powerAppsResource: 'https://service.powerapps.cn',
    portalUrl: 'https://make.powerautomate.cn',
    // Unverified in the public docs (docs/service-contract.md#clouds-and-endpoints): kept as a cautious client-side limit.
    inputLimitBytes: oneMegabyte,
  },
};

/** The largest inputs limit of any cloud: what an input file is bounded by before its environment is known. */
export const largestInputLimitBytes = twoMegabytes;

/** Describes a running sandbox, as its `GET /_sandbox` answers. */
export interface SandboxDescription {
  baseUrl: string;
  discoveryUrl: string;
  bapUrl: string;
  powerAppsUrl: string;
  identityUrl: string;
  portalUrl: string;
  /** Tenant of the sandbox identity endpoint (sign in to `<identityUrl>/<tenantId>`). */
  tenantId?: string;
  /** Public client id to sign in with (the Dataverse sample client by default). */
  clientId?: string;
}

/** The endpoint table for a local sandbox. */
export function sandboxCloud(d: SandboxDescription): CloudEndpoints {
  return {
    name: 'Sandbox',
    authorityHost: d.identityUrl,
    discoveryUrl: d.discoveryUrl,
    discoveryResource: d.discoveryUrl,
    bapUrl: d.bapUrl,
    powerAppsUrl: d.powerAppsUrl,
    powerAppsResource: d.powerAppsUrl,
    portalUrl: d.portalUrl,
    inputLimitBytes: twoMegabytes,
    knownAuthorities: [new URL(d.identityUrl).host],
  };
}

/** Discovery region codes of environments in the China cloud (operated by 21Vianet). */
const chinaRegions = new Set(['chn', 'china', 'cn']);

/**
 * The RunDesktopFlow inputs limit for an environment: its cloud's, and 1 MB for an environment whose
 * discovery region is China even when reached through another endpoint table (the sandbox). See
 * docs/service-contract.md#inputs-size-limit.
 */
export function inputLimitBytesFor(cloud: CloudEndpoints, region: string | undefined): number {
  return region !== undefined && chinaRegions.has(region.trim().toLowerCase())
    ? Math.min(cloud.inputLimitBytes, oneMegabyte)
    : cloud.inputLimitBytes;
}
