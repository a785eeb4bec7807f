import type { HistoryStore } from '../../../store/types.js';

/** How many pending sessions are looked through to find a platform's own. */
const SCAN_LIMIT = 1000;

/**
 * The store as one platform's BotRunner should see it: only that platform's sessions have pending messages.
 *
 * Why: BotRunner claims any session with pending inbox entries, whichever platform recorded them, and would answer
 * a WhatsApp message through the Telegram adapter when both run on one store (one process with several platforms,
 * or several single-platform processes on one database). Until the runner claims only its own sessions, every
 * platform runner gets this view. Session ids start with `<platform>:` (see session-key.ts).
 */
export function platformInboxView(store: HistoryStore, platform: string): HistoryStore {
  const prefix = `${encodeURIComponent(platform)}:`;
  const own = (sessionId: string) => sessionId.startsWith(prefix);
  const overrides: Partial<HistoryStore> = {
    pendingInboxSessions: async (limit = 20) => (await store.pendingInboxSessions(Math.max(limit, SCAN_LIMIT))).filter(own).slice(0, limit),
    onInboxActivity: (listener) => store.onInboxActivity((sessionId) => own(sessionId) && listener(sessionId)),
  };
  return new Proxy(store, {
    get(target, key) {
      if (key in overrides) return overrides[key as keyof HistoryStore];
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
