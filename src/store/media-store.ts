import type { InboxMediaLink, StoredMedia } from './types.js';

/** Media users sent, kept by content, and the links from inbox entries' attachments to them. */
export interface MediaStore {
  /**
   * Keep media bytes under their SHA-256 (`hash`, lowercase hex, checked against the bytes): storing the same
   * bytes again changes nothing.
   */
  putMedia(media: { hash: string; mimeType: string; bytes: Buffer }): Promise<void>;
  /** Media by digest; null when none is stored. */
  getMedia(hash: string): Promise<StoredMedia | null>;
  /**
   * Remember that attachment `position` of inbox entry `inboxId` is stored as `hash` (which must be stored): a later
   * attempt on the entry reads it from the store instead of downloading it again. Linking a position again keeps the
   * first link. Links go with their entry (purgeInbox); the media stay, referenced from the messages' metadata.
   */
  linkInboxMedia(inboxId: number, position: number, hash: string): Promise<void>;
  /** The entry's stored attachments, by position. */
  inboxMedia(inboxId: number): Promise<InboxMediaLink[]>;
}
