import type { Lease } from '../store/types.js';

export type { Lease };

/**
 * What an adapter may ask of the store: a named lease, so that of several workers only one does a thing at a time
 * (Telegram's long polling, a Discord shard's gateway connection). The runner's seam, so that adapters depend on
 * the runner, never on the store; a store (`LeaseStore`) is one.
 */
export interface LeaseProvider {
  /** Take the named lease if no live process holds it; null when it is held. */
  tryAcquireLease(name: string): Promise<Lease | null>;
}
