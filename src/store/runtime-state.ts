import { InvalidInputError } from './errors.js';
import type { RuntimeState } from './types.js';

/** Runtime state rides along with every turn commit; a bound keeps one runtime from bloating every write. */
export const MAX_RUNTIME_STATE_BYTES = 64 * 1024;

export function assertRuntimeStateSize(state: RuntimeState): void {
  for (const [runtimeId, perTurn] of Object.entries(state)) {
    const bytes = Buffer.byteLength(JSON.stringify(perTurn) ?? '');
    if (bytes > MAX_RUNTIME_STATE_BYTES) {
      throw new InvalidInputError(
        `runtime state of runtime ${JSON.stringify(runtimeId)} is ${bytes} bytes: the limit is ${MAX_RUNTIME_STATE_BYTES} (keep ids and pointers there, not transcripts)`,
      );
    }
  }
}

/**
 * The session's runtime state after a turn that stores `patch`: each runtime id the patch names replaces that
 * runtime's entry whole, the others are kept. Postgres does the same in SQL (`coalesce(state, '{}') || patch`);
 * the patch is taken as JSON sees it, as Postgres receives it, so an `undefined` entry changes nothing on either.
 */
export function mergeRuntimeState(current: RuntimeState | null, patch: RuntimeState): RuntimeState {
  return { ...current, ...(JSON.parse(JSON.stringify(patch)) as RuntimeState) };
}
