/**
 * Why a bot could not start on its platform, as the adapter tells it (one line, no token):
 * - `credentials`: the platform refused the token or secret (fix the configuration);
 * - `unreachable`: the platform's API did not answer (network, DNS, an outage: try again later);
 * - `setup`: something on this machine is in the way (a port in use).
 * The CLI turns it into its exit code; adapters throw it from `identify()` / `start()`.
 */
export class PlatformStartError extends Error {
  constructor(
    message: string,
    readonly reason: 'credentials' | 'unreachable' | 'setup',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PlatformStartError';
  }
}
