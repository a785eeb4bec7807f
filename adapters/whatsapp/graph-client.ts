import { ThreadlineError } from '../../src/store/errors.js';

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

/** The one Cloud API call the bot makes: send a text message. */
export class WhatsAppGraphClient {
  private readonly messagesUrl: string;

  constructor(private readonly options: GraphClientOptions) {
    const base = (options.apiUrl ?? DEFAULT_GRAPH_API_URL).replace(/\/+$/, '');
    this.messagesUrl = `${base}/${encodeURIComponent(options.phoneNumberId)}/messages`;
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

function describeFailure(status: number, error: GraphError | undefined): string {
  const detail = error?.message ? `: ${error.message}` : '';
  // Graph's code 190 is an expired or wrong token; the fix is always the same.
  if (status === 401 || error?.code === 190) return `WhatsApp rejected the access token (check WHATSAPP_ACCESS_TOKEN)${detail}`;
  return `WhatsApp Cloud API answered ${status} to a send${detail}`;
}
