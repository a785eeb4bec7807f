import type { SendBudgetScope } from './types.js';

/** Token buckets of outbound sends, shared by every process on the store. */
export interface SendBudgetStore {
  /**
   * Take one send from every scope, atomically for all of them and for every process on the store: when each bucket
   * holds a token now (refilled at its `ratePerSec` since it was last taken from, up to `burst`) and none is paused,
   * a token is taken from each and `waitMs` is 0. Otherwise nothing is taken, and `waitMs` says how long until every
   * scope would hold one: ask again then (another caller may get there first). Time is the database server's clock
   * on Postgres, this machine's on SQLite: one clock for every worker. Scopes named twice count once (the strictest).
   */
  takeSendBudget(scopes: SendBudgetScope[]): Promise<{ waitMs: number }>;
  /**
   * No take of `key` succeeds for `pauseMs` from now, in any process (a platform's 429 with its retry_after); after
   * the pause the bucket holds one token and refills from there. A pause already in force that ends later stays.
   */
  pauseSendScope(key: string, pauseMs: number): Promise<void>;
  /** Forget budgets neither taken from nor paused for `idleMs` (a forgotten scope comes back full); returns the count. */
  purgeSendBudgets(idleMs: number): Promise<number>;
}
