/**
 * Failures a fake platform answers on cue: "the next N calls of this method (to this chat) fail with this
 * platform error". Each fake says what its error looks like (`E`) and answers it in its platform's form; this
 * only keeps the cues and decides which call takes one. With no cue added, no call fails.
 */
export interface FailureCue<E> {
  /** The API method as the fake names it (Telegram's `sendMessage`, Slack's `chat.update`…); case-insensitive. */
  method: string;
  /** Only calls to this chat / channel / recipient; every chat when absent. */
  chatId?: string | number;
  /** How many matching calls fail (default 1; `Infinity` for every one until `clearFailures`). */
  times?: number;
  /** Instead of `times`: every matching call fails for this long from now (a platform rate-limiting for a while). */
  forMs?: number;
  error: E;
}

export class FailureCues<E> {
  private cues: Array<{ method: string; chatId?: string; remaining: number; until?: number; error: E }> = [];

  add(cue: FailureCue<E>): void {
    const remaining = cue.forMs !== undefined ? Infinity : (cue.times ?? 1);
    if (!(remaining > 0)) throw new Error(`a failure cue needs times > 0 (got ${cue.times})`);
    this.cues.push({
      method: cue.method.toLowerCase(),
      ...(cue.chatId !== undefined ? { chatId: String(cue.chatId) } : {}),
      remaining,
      ...(cue.forMs !== undefined ? { until: Date.now() + cue.forMs } : {}),
      error: cue.error,
    });
  }

  /** The error this call must answer with, using up one turn of the oldest cue it matches; undefined: answer normally. */
  take(method: string, chatId: unknown): E | undefined {
    const now = Date.now();
    this.cues = this.cues.filter((c) => c.until === undefined || c.until > now);
    const cue = this.cues.find((c) => c.method === method.toLowerCase() && (c.chatId === undefined || c.chatId === String(chatId)));
    if (!cue) return undefined;
    cue.remaining -= 1;
    if (cue.remaining <= 0) this.cues = this.cues.filter((c) => c !== cue);
    return cue.error;
  }

  clear(): void {
    this.cues = [];
  }
}
