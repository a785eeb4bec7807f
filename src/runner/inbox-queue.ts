import { sessionIds } from '../core/session-ids.js';
import type { InboxQueueSelection } from '../store/types.js';
import type { PlatformAdapter } from './platform-adapter.js';

/**
 * The inbox queue a runner records its adapter's messages in and takes its work from:
 * - the adapter's own `queue` when it names one (`console:<session>`, `http`);
 * - else `<platform>:<bot id>` (`telegram:7000000001`, escaped like a session id: it is the prefix of every session
 *   id of that bot), so two bots of one platform on one database never take each other's entries;
 * - else, for an adapter that knows no bot id, the platform (`telegram`).
 *
 * Versions before per-bot queues recorded every bot's messages in the platform's queue. So that entries left pending
 * there by such a version (an upgrade, or a rolling one with old workers still running) are still answered, a runner
 * on `<platform>:<bot id>` also takes the entries of `<platform>` whose session belongs to its bot (the session id
 * starts with `<platform>:<bot id>:`): no migration, and never another bot's entry. A session is claimed whole, so
 * its entries in both queues are answered in order.
 */
export function runnerQueues(adapter: Pick<PlatformAdapter, 'platform' | 'botId' | 'queue'>): InboxQueueSelection {
  if (adapter.queue !== undefined) return { queue: adapter.queue };
  if (adapter.botId === undefined || adapter.botId === '') return { queue: adapter.platform };
  const queue = sessionIds.platformChat(adapter.platform, adapter.botId);
  return { queue, also: { queue: adapter.platform, sessionPrefix: `${queue}:` } };
}
