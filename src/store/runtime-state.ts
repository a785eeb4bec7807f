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
