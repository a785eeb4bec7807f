import { createHash, randomBytes } from 'node:crypto';

/** Recognisable in logs and secret scanners; 32 random bytes behind it, so a plain digest is enough to store. */
const PREFIX = 'tl_';

/** A new API key: shown to its owner once, stored only as its digest. */
export function generateApiKey(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

/** The digest the store keeps and looks keys up by (SHA-256: the keys are random, not passwords to stretch). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Only the first characters of a key, for messages that must say which key without revealing it. */
export function keyHint(key: string): string {
  return key.length > 8 ? `${key.slice(0, 7)}…` : '…';
}
