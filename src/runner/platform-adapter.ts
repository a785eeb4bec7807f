/**
 * The narrow contract between a platform adapter and the runner. An adapter turns platform events into
 * `InboundMessage`s and knows how to send, edit and show typing; it knows nothing of SQL, sessions' storage,
 * locks or LLMs. The runner knows nothing of any platform's API.
 */

/** Where a reply goes: the chat, and the thread/topic inside it when there is one. */
export interface ReplyTarget {
  chatId: string;
  threadId?: string;
  /** The platform message being answered (some platforms thread replies under it). */
  replyToMessageId?: string;
}

export interface InboundMessage {
  /** `telegram`, `discord`, `slack`, `whatsapp`, `console`. */
  platform: string;
  /** The bot's own id on the platform (part of session ids, so two bots never share a session). */
  botId: string;
  chatId: string;
  /** Forum topic / thread id, when the platform has one and the message is in it. */
  threadId?: string;
  userId: string;
  /** Sender's display name, given to the model in group chats. */
  userName?: string;
  /** The platform's id of this event: redeliveries carry the same id and are answered once. */
  eventId: string;
  /** The platform's id of the message itself (for replies that quote it). */
  messageId?: string;
  text: string;
  /** A direct message (true) or a group/channel/thread shared by several users (false). */
  isPrivate: boolean;
  /** The bot was mentioned, replied to, or sent a command: in groups, the default policy answers only these. */
  addressed: boolean;
  /** Where a reply goes. */
  replyTarget: ReplyTarget;
  /** The session, when the user names it (the console); otherwise the runner derives it from the ids above. */
  sessionId?: string;
}

/** What an adapter hands each inbound message to: the runner. Resolves once the message is durably recorded. */
export type InboundHandler = (message: InboundMessage) => Promise<{ duplicate: boolean }>;

export interface PlatformAdapter {
  readonly platform: string;
  /** Longest message the platform accepts, in UTF-16 code units. */
  readonly textLimit: number;
  /** False on platforms that cannot edit a sent message (WhatsApp): replies are then sent once, complete. */
  readonly canEdit?: boolean;
  /** How often a streaming reply may be edited without upsetting the platform's rate limits (ms). */
  readonly minEditIntervalMs?: number;
  /** Begin receiving; every inbound message goes to `handler`. Resolves when receiving has started. */
  start(handler: InboundHandler): Promise<void>;
  /** Stop receiving new events (turns in flight are the runner's to finish). */
  stop(): Promise<void>;
  /** Post a message; returns the platform's message id. */
  send(target: ReplyTarget, text: string): Promise<string>;
  /** Replace the text of a message this bot sent. */
  edit(target: ReplyTarget, messageId: string, text: string): Promise<void>;
  /** Show "typing…" (platforms expire it after a few seconds; the runner renews it). */
  typing(target: ReplyTarget): Promise<void>;
  /** Convert the model's Markdown into the platform's dialect (default: as is). */
  formatText?(markdown: string): string;
}
