import { readFileSync } from 'node:fs';
import path from 'node:path';

const DIR = path.resolve(import.meta.dirname, '../fixtures/platform-payloads');

/**
 * The real-shaped platform payloads in test/fixtures/platform-payloads/<platform>.json, by case name. Each call
 * returns fresh copies, so a test may change one without touching another test's.
 */
export function payloadFixtures<T = Record<string, unknown>>(platform: 'telegram' | 'whatsapp' | 'slack' | 'discord'): Record<string, T> {
  const all = JSON.parse(readFileSync(path.join(DIR, `${platform}.json`), 'utf8')) as Record<string, T>;
  delete all._about;
  return all;
}
