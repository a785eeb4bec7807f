import { randomBytes } from 'node:crypto';

const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';
/** 36^16 ≈ 8e24 ids: collisions across processes and machines are negligible without any coordination. */
const GENERATED_ID_CHARS = 16;
const SHORT_ID_CHARS = 10;

/** `count` random base36 characters from the OS's CSPRNG (rejection sampling keeps every character equally likely). */
function randomBase36(count: number): string {
  let out = '';
  while (out.length < count) {
    for (const byte of randomBytes(count * 2)) {
      // 252 = 7 * 36: bytes above it would favour the first characters.
      if (byte < 252 && out.length < count) out += BASE36[byte % 36];
    }
  }
  return out;
}

/**
 * A fresh session id: `s-` followed by 16 random base36 characters (`[0-9a-z]`), e.g. `s-4f9k2m0qz8x1c7va`.
 * Unique across processes and machines without coordination (about 82 bits of randomness).
 */
export function generateSessionId(): string {
  return `s-${randomBase36(GENERATED_ID_CHARS)}`;
}

/** Session ids for the usual ways of splitting conversations. */
export const sessionIds = {
  /** One long-running conversation per user: `user-<id>-main`. */
  perUser(userId: string): string {
    if (userId === '') throw new TypeError('sessionIds.perUser needs a non-empty user id');
    return `user-${userId}-main`;
  },

  /** A new conversation each time: `c-` followed by 10 random base36 characters. */
  perConversation(): string {
    return `c-${randomBase36(SHORT_ID_CHARS)}`;
  },

  /**
   * One conversation per platform chat: `platform:part1:part2…`, e.g. `telegram:<bot id>:<chat id>:<topic id>`.
   * Every part is escaped with encodeURIComponent (which escapes `:` and `%`), so two different part lists can
   * never produce the same id, whatever characters a platform puts in its ids.
   */
  platformChat(platform: string, ...parts: Array<string | number>): string {
    if (platform === '' || parts.length === 0) {
      throw new TypeError('sessionIds.platformChat needs a platform name and at least one id part, e.g. ("telegram", botId, chatId)');
    }
    return [platform, ...parts].map((part) => encodeURIComponent(String(part))).join(':');
  },
};
