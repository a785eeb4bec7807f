/**
 * Runs `run`; a failure comes out with `secret` masked in its message. Platform SDKs name the URL they failed to
 * reach, and some (Telegram's) carry the bot token in it: the one line on stderr must not.
 */
export async function maskingSecret<T>(secret: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof Error) error.message = error.message.replaceAll(secret, '***');
    throw error;
  }
}
