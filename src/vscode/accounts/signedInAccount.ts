import type { ServiceSession } from '../../core/serviceSession';

/** A signed-in account as the UI sees it: who, in which cloud, and the services to reach with it. */
export interface SignedInAccount {
  /** Stable id (also the prefix of every tree node id under it). */
  readonly id: string;
  /** User name, service principal name, or "Sandbox". */
  readonly label: string;
  /** Cloud and tenant, for descriptions and tooltips. */
  readonly description: string;
  readonly kind: 'user' | 'servicePrincipal' | 'sandbox';
  readonly session: ServiceSession;
}
