import { MediaTooLargeError } from '../../src/runner/media.js';

/** A download that failed: the platform's status (a 5xx or a network error is worth another attempt). */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * GET `url` (with `headers`, e.g. a bearer token) into memory, stopping with `MediaTooLargeError` once the body
 * (or its Content-Length) passes `maxBytes`: a huge file is never read whole. `what` names it in errors (no URL:
 * platform file URLs carry tokens).
 */
export async function downloadBytes(
  url: string,
  options: { maxBytes: number; headers?: Record<string, string>; signal?: AbortSignal; what: string },
): Promise<{ bytes: Buffer; mimeType?: string }> {
  const response = await fetch(url, { headers: options.headers, signal: options.signal, redirect: 'follow' });
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new DownloadError(`could not download ${options.what}: HTTP ${response.status}`, response.status);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new MediaTooLargeError(options.maxBytes, declared);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (response.body) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > options.maxBytes) throw new MediaTooLargeError(options.maxBytes);
      chunks.push(Buffer.from(chunk));
    }
  }
  return { bytes: Buffer.concat(chunks), ...(response.headers.get('content-type') ? { mimeType: response.headers.get('content-type')! } : {}) };
}
