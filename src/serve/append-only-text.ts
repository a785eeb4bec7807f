/**
 * A turn's text for a client that can only append (OpenAI's chunks have no "start over"): what to send it as the
 * turn's events arrive. Until a reset every delta goes out as it comes. After a reset (the turn is being answered
 * again) nothing goes out until the new attempt's text extends what the client has already; from then on only the
 * new part does. At the end, the rest of the reply. What was sent is never taken back, so the client's text is
 * the reply exactly, or `finish` says it cannot be.
 */
export class AppendOnlyText {
  /** Everything the client has been sent. */
  private sent = '';
  /** The turn's text since its last reset. */
  private current = '';

  /** A delta of the turn's text: what to send now ('' for nothing). */
  delta(text: string): string {
    this.current += text;
    return this.extend(this.current) ?? '';
  }

  reset(): void {
    this.current = '';
  }

  /**
   * The turn ended with `reply` (the stored reply): what is left to send. Failing that, the rest of the text as the
   * turn's events delivered it, which differs from the stored reply only in placeholders (an empty reply is
   * delivered as "(no reply)"). `undefined` when the client already has text that neither begins with: a later
   * attempt replaced text that had streamed.
   */
  finish(reply: string): string | undefined {
    return this.extend(reply) ?? this.extend(this.current);
  }

  /** The part of `text` beyond what was sent, now counted as sent; undefined when `text` does not begin with it. */
  private extend(text: string): string | undefined {
    if (!text.startsWith(this.sent)) return undefined;
    const rest = text.slice(this.sent.length);
    this.sent = text;
    return rest;
  }
}
