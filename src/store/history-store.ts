import type { ApiKeyStore } from './api-key-store.js';
import type { ConversationStore } from './conversation-store.js';
import type { InboxStore } from './inbox-store.js';
import type { LeaseStore } from './lease-store.js';
import type { MediaStore } from './media-store.js';
import type { SendBudgetStore } from './send-budget-store.js';
import type { StoreAdmin } from './store-admin.js';

/**
 * An open store: every capability at once, as `openStore` returns it. Code that uses the store takes the narrow
 * capability it calls (a `MediaStore`, an `ApiKeyStore`), so what it can touch is plain from its signature.
 */
export interface HistoryStore extends ConversationStore, InboxStore, MediaStore, ApiKeyStore, SendBudgetStore, LeaseStore, StoreAdmin {}
