import OpenAI, { toFile } from 'openai';
import { ThreadlineError } from '../../store/errors.js';
import { toLlmError, type CallContext } from './openai-errors.js';

/** Speech to text: a voice message or audio file becomes the turn's text. */
export interface Transcriber {
  readonly model: string;
  transcribe(audio: { bytes: Buffer; fileName: string; mimeType: string }, signal?: AbortSignal): Promise<string>;
}

/**
 * A transcription failed. Not an `LlmError`: the runner retries it by the entry's attempts (not the chat model's
 * retry window) when `transient`, and gives the message up at once when not (a bad key, an unknown model).
 */
export class TranscriptionError extends ThreadlineError {
  constructor(
    message: string,
    readonly transient: boolean,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

export interface OpenAITranscriberOptions {
  /** e.g. `whisper-1`, `gpt-4o-mini-transcribe`. */
  model: string;
  apiKey: string;
  /** An OpenAI-compatible endpoint with `POST /audio/transcriptions` (default OpenAI's). */
  baseURL?: string;
  /** Default 120 s: a long voice message takes a while. */
  timeoutMs?: number;
}

/** `POST {baseURL}/audio/transcriptions` (multipart: `file`, `model`) on any OpenAI-compatible endpoint. */
export class OpenAITranscriber implements Transcriber {
  readonly model: string;
  private readonly client: OpenAI;
  private readonly context: CallContext;

  constructor(options: OpenAITranscriberOptions) {
    const timeoutMs = options.timeoutMs ?? 120_000;
    this.client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL, timeout: timeoutMs, maxRetries: 0, logLevel: process.env.OPENAI_LOG ? undefined : 'off' });
    this.model = options.model;
    this.context = { endpoint: new URL(this.client.baseURL).host, model: options.model, timeoutMs, maxRetries: 0, apiKey: options.apiKey };
  }

  async transcribe(audio: { bytes: Buffer; fileName: string; mimeType: string }, signal?: AbortSignal): Promise<string> {
    try {
      const file = await toFile(audio.bytes, audio.fileName, { type: audio.mimeType });
      const answer = await this.client.audio.transcriptions.create({ file, model: this.model }, { signal });
      return (answer as { text?: string }).text ?? '';
    } catch (error) {
      const llm = toLlmError(error, this.context);
      throw new TranscriptionError(`transcription failed: ${llm.message}`, llm.transient, { cause: error });
    }
  }
}
