import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import type { SendBudgetScope, SendBudgetStore } from '../store/types.js';
import { DeliveryError, delivering } from './delivery-error.js';
import type { PlatformAdapter, ReplyTarget, SendLimit } from './platform-adapter.js';
import { NO_RUNNER_METRICS, type RunnerMetrics } from './runner-metrics.js';

/** How outbound sends are paced (`--send-limit`, `--no-send-limits`, `--send-wait`). */
export interface SendBudgetSettings {
  /** Take every send from the budgets the adapter names (default true); off, sends go out as they come. */
  enabled?: boolean;
  /** Limits by the adapter's name for them, replacing its defaults (`private: { ratePerSec: 1, burst: 3 }`). */
  limits?: Record<string, SendLimit>;
  /**
   * Longest a send that must go out (a reply's final text, a command's answer) waits for its budget, or for a pause a
   * platform asked for, within one attempt; a longer wait defers the message to a later attempt (default 10 s).
   */
  maxWaitMs?: number;
}

export const DEFAULT_SEND_WAIT_MS = 10_000;

/** What an optional send came to: sent, or left out because the budget had no room for it now. */
export type Offered<T> = { sent: true; value: T } | { sent: false; waitMs: number; pressure: boolean };

/** A budget of the store, with the limit it was named after. */
interface Budget extends SendBudgetScope {
  limit: string;
}

/** Warnings about the store (not answering takes) at most this often: a down database must not flood the log. */
const STORE_WARNING_EVERY_MS = 30_000;
/** Pauses known in this process are forgotten past this many (the oldest first): typing is only a courtesy. */
const MAX_KNOWN_PAUSES = 1_000;

/**
 * Between the runner and the platform: every send and edit first takes its share of the platform's rate limits
 * from budgets the store keeps for every worker (the adapter names them: the bot's, the chat's), and a 429 that
 * names how long to wait pauses the budget for every worker. Two kinds of sends:
 * - `deliver`: a send that must go out (a reply's final text). It waits for its budget, and after a 429 for the
 *   pause, within `maxWaitMs`; a longer wait fails it as a transient `DeliveryError` with `retryAfterMs`, which the
 *   runner settles by deferring the message (the turn's draft kept, the attempt not counted).
 * - `offer`: a send that may be left out (an edit while a reply streams). It goes only if the budget has room now;
 *   otherwise it is reported as not sent, with how long the budget needs (and whether that is more than the budget's
 *   own refill, i.e. a pause or other senders: pressure), so the caller edits less often or not at all.
 * The store failing to answer never holds a send: it goes unpaced (a warning says so), as it would without budgets.
 */
export class SendBudget {
  private readonly limits: Readonly<Record<string, SendLimit>>;
  private readonly maxWaitMs: number;
  /** Budget key → until when this process knows it is paused or empty (typing skips it meanwhile). */
  private readonly knownWaits = new Map<string, number>();
  private lastStoreWarning = 0;

  constructor(
    private readonly store: Pick<SendBudgetStore, 'takeSendBudget' | 'pauseSendScope'>,
    private readonly adapter: PlatformAdapter,
    private readonly log: Logger,
    private readonly settings: SendBudgetSettings = {},
    /** Ends every wait at once (the runner stopping): the send then fails as transient, to be tried again. */
    private readonly signal?: AbortSignal,
    private readonly metrics: RunnerMetrics = NO_RUNNER_METRICS,
  ) {
    this.limits = { ...adapter.sendLimits, ...settings.limits };
    this.maxWaitMs = settings.maxWaitMs ?? DEFAULT_SEND_WAIT_MS;
  }

  /** Names in `limits` the adapter has no limit for (a typo, or another platform's name): the caller warns. */
  unknownLimits(): string[] {
    return Object.keys(this.settings.limits ?? {}).filter((name) => !this.adapter.sendLimits?.[name]);
  }

  /** The budgets a send to `target` takes from; none when pacing is off or the adapter paces itself. */
  budgetsFor(target: ReplyTarget): Budget[] {
    if (this.settings.enabled === false || !this.adapter.sendScopes) return [];
    return this.adapter.sendScopes(target).flatMap((scope) => {
      const limit = this.limits[scope.limit];
      return limit ? [{ key: scope.key, limit: scope.limit, ratePerSec: limit.ratePerSec, burst: limit.burst }] : [];
    });
  }

  /** A send that must go out: waits for its budget (bounded), and after a short 429 tries again once the pause is over. */
  async deliver<T>(target: ReplyTarget, call: () => Promise<T>): Promise<T> {
    const budgets = this.budgetsFor(target);
    if (budgets.length === 0) return delivering(this.adapter, call);
    const began = Date.now();
    const deadline = began + this.maxWaitMs;
    for (;;) {
      const waitMs = await this.take(budgets);
      if (waitMs > 0) {
        if (Date.now() + waitMs > deadline) throw this.deferred(`the send budget of ${describe(budgets)} has no room for ${seconds(waitMs)}`, waitMs);
        this.log.debug({ budgets: budgets.map((b) => b.key), waitMs }, 'waiting for the send budget');
        await this.wait(waitMs);
        continue;
      }
      this.metrics.sendBudgetWait((Date.now() - began) / 1000);
      try {
        return await delivering(this.adapter, call);
      } catch (error) {
        const retryAfterMs = await this.onRefusal(error, budgets);
        // Short enough: the next take waits the pause out (with every other worker). Else the runner defers.
        if (retryAfterMs === undefined) throw error;
        if (Date.now() + retryAfterMs > deadline) {
          this.metrics.sendHeldBack('deferred');
          throw error;
        }
      }
    }
  }

  /** A send that may be left out: made only if every budget has room now. A 429 pauses the budget, then throws. */
  async offer<T>(target: ReplyTarget, call: () => Promise<T>): Promise<Offered<T>> {
    const budgets = this.budgetsFor(target);
    if (budgets.length > 0) {
      const waitMs = await this.take(budgets);
      if (waitMs > 0) {
        this.metrics.sendHeldBack('edit');
        // Longer than any of its budgets takes to refill one token: paused, or drained by other senders.
        return { sent: false, waitMs, pressure: waitMs > Math.max(...budgets.map((b) => 1000 / b.ratePerSec)) };
      }
    }
    try {
      return { sent: true, value: await delivering(this.adapter, call) };
    } catch (error) {
      await this.onRefusal(error, budgets);
      throw error;
    }
  }

  /** False while this process knows a budget of `target` is paused or empty ("typing…" takes no budget, but waits too). */
  mayShowTyping(target: ReplyTarget): boolean {
    const now = Date.now();
    return this.budgetsFor(target).every((b) => (this.knownWaits.get(b.key) ?? 0) <= now);
  }

  /** Take from every budget; the store failing answers "go" (unpaced), with a warning now and then. */
  private async take(budgets: Budget[]): Promise<number> {
    let waitMs: number;
    try {
      ({ waitMs } = await this.store.takeSendBudget(budgets.map(({ key, ratePerSec, burst }) => ({ key, ratePerSec, burst }))));
    } catch (error) {
      this.warnAboutStore(error, 'could not take from the send budget; sending without it');
      return 0;
    }
    if (waitMs > 0) this.remember(budgets.map((b) => b.key), Date.now() + waitMs);
    return waitMs;
  }

  /**
   * A refusal that says how long to wait pauses the budget it names (by default the narrowest) for every worker.
   * Returns the wait, or undefined when the refusal was not that.
   */
  private async onRefusal(error: unknown, budgets: Budget[]): Promise<number | undefined> {
    if (!(error instanceof DeliveryError) || error.fault.kind !== 'transient' || error.fault.retryAfterMs === undefined) return undefined;
    const { retryAfterMs, limit } = error.fault;
    const budget = budgets.findLast((b) => b.limit === limit) ?? budgets.at(-1);
    if (!budget) return retryAfterMs;
    this.metrics.sendPaused(budget.limit);
    this.log.info({ budget: budget.key, retryAfterMs, reason: error.fault.reason }, 'the platform asked to slow down: sends to it pause for every worker');
    this.remember([budget.key], Date.now() + retryAfterMs);
    await this.store.pauseSendScope(budget.key, retryAfterMs).catch((storeError: unknown) =>
      this.warnAboutStore(storeError, 'could not record the pause in the store; only this process knows of it'),
    );
    return retryAfterMs;
  }

  /** Sleep, unless the runner stops meanwhile: then the send fails for now (its message is tried again later). */
  private async wait(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.signal });
    } catch {
      throw this.deferred('stopping while the send waited for its budget', ms);
    }
  }

  /** A must-send given up on for this attempt: its message is tried again later (counted as held back). */
  private deferred(reason: string, retryAfterMs: number): DeliveryError {
    this.metrics.sendHeldBack('deferred');
    return rateLimited(reason, retryAfterMs);
  }

  private remember(keys: string[], until: number): void {
    for (const key of keys) {
      this.knownWaits.delete(key);
      this.knownWaits.set(key, Math.max(until, this.knownWaits.get(key) ?? 0));
    }
    for (const key of this.knownWaits.keys()) {
      if (this.knownWaits.size <= MAX_KNOWN_PAUSES) break;
      this.knownWaits.delete(key);
    }
  }

  private warnAboutStore(error: unknown, message: string): void {
    if (Date.now() - this.lastStoreWarning < STORE_WARNING_EVERY_MS) return;
    this.lastStoreWarning = Date.now();
    this.log.warn({ err: error }, message);
  }
}

/** A send held back by its budget: transient, with when to try again (the runner defers it, the attempt not counted). */
function rateLimited(reason: string, retryAfterMs: number): DeliveryError {
  return new DeliveryError({ kind: 'transient', reason: `rate limited: ${reason}`, retryAfterMs });
}

function describe(budgets: Budget[]): string {
  return budgets.map((b) => b.key).join(' and ');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * `--send-limit` as written: `<name>=<rate>/s` or `/min`, optionally `:<burst>` (default: the rate per second,
 * rounded up, at least 1). `private=1/s:3`, `group=20/min:3`, `channel=2/s`.
 */
export function parseSendLimit(spec: string): { name: string; limit: SendLimit } {
  const match = /^\s*([A-Za-z][\w-]*)\s*=\s*(\d+(?:\.\d+)?)\s*\/\s*(s|sec|second|min|minute)\s*(?::\s*(\d+))?\s*$/.exec(spec);
  if (!match) throw new TypeError(`expected <name>=<rate>/s or /min, optionally :<burst> (such as private=1/s:3 or group=20/min), got "${spec}"`);
  const [, name, amount, unit, burstText] = match;
  const ratePerSec = Number(amount) / (unit.startsWith('m') ? 60 : 1);
  if (!(ratePerSec > 0)) throw new TypeError(`a send limit's rate must be above 0, got "${spec}"`);
  const burst = burstText === undefined ? Math.max(1, Math.ceil(ratePerSec)) : Number(burstText);
  if (!(burst >= 1)) throw new TypeError(`a send limit's burst must be at least 1, got "${spec}"`);
  return { name, limit: { ratePerSec, burst } };
}

/** Several `--send-limit`s, the last one of a name winning. */
export function parseSendLimits(specs: readonly string[]): Record<string, SendLimit> {
  return Object.fromEntries(specs.map((spec) => parseSendLimit(spec)).map(({ name, limit }) => [name, limit]));
}
