import type { Lease } from './types.js';

/** Named locks a process holds while it lives (leader election, Discord shards). */
export interface LeaseStore {
  /** Take the named lease if no live process holds it; null when it is held. */
  tryAcquireLease(name: string): Promise<Lease | null>;
}
