import { assertRuntimeStateSize } from '../store/runtime-state.js';
import type { RuntimeState } from '../store/types.js';

/**
 * An agent's runtime state (`{ [runtimeId]: { [turnId]: state } }`) for one session. When mirrored, entries set
 * since the last commit ride along with the next turn's commit, and entries this process has not changed are
 * refreshed from the store, so a session handed between processes keeps its state. Not mirrored: memory only.
 */
export class RuntimeStateMirror {
  private readonly state: RuntimeState = {};
  private readonly unsaved = new Set<string>();
  private restored = false;

  constructor(readonly mirrored: boolean) {}

  set(runtimeId: string, state: Record<string, unknown>): void {
    if (typeof runtimeId !== 'string' || runtimeId === '') throw new TypeError('setRuntimeState needs a runtime id such as "native"');
    if (state === null || typeof state !== 'object' || Array.isArray(state)) {
      throw new TypeError(`runtime state of ${JSON.stringify(runtimeId)} must be an object keyed by turn id`);
    }
    // Refused here, at the caller's line, rather than at the next commit, where it would fail a whole turn.
    assertRuntimeStateSize({ [runtimeId]: state });
    this.state[runtimeId] = state;
    if (this.mirrored) this.unsaved.add(runtimeId);
  }

  get(runtimeId: string): Record<string, unknown> | null {
    return this.state[runtimeId] ?? null;
  }

  /** True until the stored state has been read once (only when mirrored). */
  get needsRestore(): boolean {
    return this.mirrored && !this.restored;
  }

  /** Take the stored entries, except those set here and not yet committed. */
  restore(stored: RuntimeState | null): void {
    this.restored = true;
    for (const [runtimeId, perTurn] of Object.entries(stored ?? {})) {
      if (!this.unsaved.has(runtimeId)) this.state[runtimeId] = perTurn;
    }
  }

  /** The entries the next commit must carry, or undefined when there is nothing to store. */
  pending(): RuntimeState | undefined {
    if (!this.mirrored || this.unsaved.size === 0) return undefined;
    return Object.fromEntries([...this.unsaved].map((runtimeId) => [runtimeId, this.state[runtimeId]]));
  }

  /** After a commit: entries not changed again meanwhile are saved. */
  saved(committed: RuntimeState): void {
    for (const [runtimeId, perTurn] of Object.entries(committed)) {
      if (this.state[runtimeId] === perTurn) this.unsaved.delete(runtimeId);
    }
  }
}
