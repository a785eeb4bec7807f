import { oneLine } from '../core/one-line.js';
import { ThreadlineError } from '../store/errors.js';
import type { DeliveryFault, PlatformAdapter } from './platform-adapter.js';

/** A send or edit the platform refused, with what the adapter says the refusal means. */
export class DeliveryError extends ThreadlineError {
  constructor(readonly fault: DeliveryFault, options?: { cause?: unknown }) {
    super(`the platform refused the reply: ${fault.reason}`, options);
  }
}

/** Run one platform call; a failure comes out as a `DeliveryError` read by the adapter (default: transient). */
export async function delivering<T>(adapter: PlatformAdapter, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof DeliveryError) throw error;
    throw new DeliveryError(adapter.classifyError?.(error) ?? { kind: 'transient', reason: oneLine(error) }, { cause: error });
  }
}
