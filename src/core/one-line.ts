const MAX_ERROR_TEXT = 500;

/** An error as one bounded line, for the store and the logs (messages here never carry secrets). */
export function oneLine(error: unknown, max = MAX_ERROR_TEXT): string {
  const text = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
