import { MediaTooLargeError } from '../../src/runner/media.js';
import { ThreadlineError } from '../../src/errors.js';
import { downloadBytes } from '../shared/download.js';

/** Graph API base the Cloud API lives under; WHATSAPP_API_URL overrides it (tests, proxies, another version). */
export const DEFAULT_GRAPH_API_URL = 'https://graph.facebook.com/v21.0';

/** Graph's error object: `{error: {message, type, code, error_subcode, fbtrace_id}}`. */
export interface GraphError {
  message?: string;
  code?: number;
  error_subcode?: number;
}

/** A send the Cloud API refused, with what it said, so the adapter can tell a closed window from a rate limit. */
export class WhatsAppApiError extends ThreadlineError {
  /** The HTTP status of the answer. */
  readonly status: number;
  /** Graph's error code and subcode, and its message (never the token). */
  readonly code?: number;
  readonly subcode?: number;
  readonly graphMessage?: string;

  constructor(message: string, status: number, graph: GraphError | undefined) {
    super(message);
    this.status = status;
    if (typeof graph?.code === 'number') this.code = graph.code;
    if (typeof graph?.error_subcode === 'number') this.subcode = graph.error_subcode;
    if (typeof graph?.message === 'string') this.graphMessage = graph.message;
  }
}

export interface GraphClientOptions {
  accessToken: string;
  phoneNumberId: string;
  apiUrl?: string;
}

/** The Cloud API calls the bot makes: send a text message, fetch a media file. */
export class WhatsAppGraphClient {
  private readonly base: string;
  private readonly messagesUrl: string;

  constructor(private readonly options: GraphClientOptions) {
    this.base = (options.apiUrl ?? DEFAULT_GRAPH_API_URL).replace(/\/+$/, '');
    this.messagesUrl = `${this.base}/${encodeURIComponent(options.phoneNumberId)}/messages`;
  }

  /**
   * A media file's bytes: `GET /<media id>` (the access token) gives `{url, mime_type, file_size}`, then the URL
   * (it expires after about 5 minutes) with the same bearer header. Over `maxBytes`: `MediaTooLargeError`, from the
   * size Graph gives or once the download passes it.
   */
  async fetchMedia(mediaId: string, options: { maxBytes: number; signal?: AbortSignal }): Promise<{ bytes: Buffer; mimeType?: string }> {
    const authorization = `Bearer ${this.options.accessToken}`;
    const response = await fetch(`${this.base}/${encodeURIComponent(mediaId)}`, { headers: { authorization }, signal: options.signal });
    const answer = (await response.json().catch(() => undefined)) as { url?: unknown; mime_type?: unknown; file_size?: unknown; error?: GraphError } | undefined;
    if (!response.ok || typeof answer?.url !== 'string') {
      throw new WhatsAppApiError(describeFailure(response.status, answer?.error, 'a media lookup'), response.status, answer?.error);
    }
    const size = typeof answer.file_size === 'number' ? answer.file_size : typeof answer.file_size === 'string' ? Number(answer.file_size) : undefined;
    if (size !== undefined && Number.isFinite(size) && size > options.maxBytes) throw new MediaTooLargeError(options.maxBytes, size);
    const got = await downloadBytes(answer.url, { maxBytes: options.maxBytes, headers: { authorization }, signal: options.signal, what: 'the WhatsApp media' });
    const mimeType = typeof answer.mime_type === 'string' ? answer.mime_type : got.mimeType;
    return { bytes: got.bytes, ...(mimeType ? { mimeType } : {}) };
  }

  /** Sends `text` to the user `to` (a wa_id); returns the new message's id (`wamid.…`). */
  async sendText(to: string, text: string): Promise<string> {
    const response = await fetch(this.messagesUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.options.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'text', text: { body: text, preview_url: false } }),
    });
    const answer = (await response.json().catch(() => undefined)) as { messages?: Array<{ id?: string }>; error?: GraphError } | undefined;
    const id = answer?.messages?.[0]?.id;
    if (response.ok && typeof id === 'string') return id;
    throw new WhatsAppApiError(describeFailure(response.status, answer?.error), response.status, answer?.error);
  }
}

function describeFailure(status: number, error: GraphError | undefined, what = 'a send'): string {
  const detail = error?.message ? `: ${error.message}` : '';
  // Graph's code 190 is an expired or wrong token; the fix is always the same.
  if (status === 401 || error?.code === 190) return `WhatsApp rejected the access token (check WHATSAPP_ACCESS_TOKEN)${detail}`;
  return `WhatsApp Cloud API answered ${status} to ${what}${detail}`;
}
