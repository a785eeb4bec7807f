import type { Failure } from './failure.js';

/*
 * What users are told, in plain words, when a message of theirs gets no ordinary answer. One short message per
 * fate; the details go to the ledger and the logs, never to the chat.
 */

export const NOT_AUTHORISED = 'Sorry, you are not authorised to use this bot.';

export const SLOW_MODEL = '⏳ The model is slow to answer right now. Your reply will follow.';

export const CUT_SHORT = ' … (cut short)';
export const STOPPED = ' … (stopped)';

export function tooLong(length: number, limit: number): string {
  return `That message is too long (${length} characters; the limit is ${limit}).`;
}

function duration(ms: number): string {
  if (ms < 90_000) return `${Math.max(1, Math.round(ms / 1000))} seconds`;
  return `${Math.round(ms / 60_000)} minutes`;
}

/** The one apology a dead-lettered message gets. */
export function gaveUp(failure: Failure, context: { attempts: number; llmRetryWindowMs: number }): string {
  const base = '⚠️ Sorry, I could not answer your message';
  switch (failure.source) {
    case 'llm':
      return failure.errorClass === 'transient'
        ? `${base}: the language model did not answer for ${duration(context.llmRetryWindowMs)}. Please send it again later.`
        : `${base}: the language model refused the request (${shortReason(failure.reason)}).`;
    case 'platform':
      return `${base}: the reply could not be delivered here.`;
    default:
      return `${base}: something went wrong ${context.attempts} times in a row. Please send it again later.`;
  }
}

/** The model's refusal without the advice meant for operators. */
function shortReason(reason: string): string {
  if (/context|too long|maximum.*tokens/i.test(reason)) return 'this conversation is too long for it; send /new to start a fresh one';
  if (/HTTP 40[13]|API key/i.test(reason)) return 'it is not set up correctly; the bot\'s operator needs to fix it';
  if (/HTTP 404|model name/i.test(reason)) return 'the model is not available; the bot\'s operator needs to fix it';
  return 'it rejected this message';
}

/** A message recorded in a form this worker cannot read (see src/runner/inbox-payload.ts). */
export const UNREADABLE = '⚠️ Sorry, I could not answer your message: it was stored in a form I cannot read. Please send it again.';
