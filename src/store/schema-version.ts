import { StoreUnavailableError } from './errors.js';

/** A database migrated by a newer Threadline may hold what this one cannot read: refuse it instead of guessing. */
export function assertSchemaNotNewer(current: number, latest: number, location: string): void {
  if (current > latest) {
    throw new StoreUnavailableError(
      `the store at ${location} has schema version ${current}, newer than this Threadline knows (${latest}): upgrade threadline`,
    );
  }
}
