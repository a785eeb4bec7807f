import type { ApiKeyRecord } from './types.js';

/** The digests of `threadline serve`'s API keys. */
export interface ApiKeyStore {
  /** Store a new API key's digest under a unique name; throws `ApiKeyNameTakenError` when the name exists (revoked or not). */
  createApiKey(key: { name: string; keyHash: string; sessionsPrefix?: string }): Promise<ApiKeyRecord>;
  /** Every key, revoked ones included, by name. */
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Revoke a key by name; false when there is no such key or it was revoked already. */
  revokeApiKey(name: string): Promise<boolean>;
  /** The live (not revoked) key with this digest; null when none. */
  findApiKey(keyHash: string): Promise<ApiKeyRecord | null>;
}
