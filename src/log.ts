import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * One logger for the whole process: JSON lines in production (and whenever stdout is not a terminal),
 * human-readable in a terminal. Secrets never reach it: the paths below are redacted wherever they appear.
 */
export function createLogger(options: { level?: string; pretty?: boolean; name?: string; destination?: 1 | 2 } = {}): Logger {
  const level = options.level ?? process.env.THREADLINE_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info';
  const pretty = options.pretty ?? (process.stdout.isTTY === true && process.env.NODE_ENV !== 'production');
  return pino(
    {
    name: options.name ?? 'threadline',
    level,
    redact: {
      paths: ['token', 'apiKey', 'password', 'secret', '*.token', '*.apiKey', '*.password', '*.secret', 'headers.authorization'],
      censor: '***',
    },
    transport: pretty
      ? { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', destination: options.destination ?? 1 } }
      : undefined,
    },
    pretty ? undefined : pino.destination(options.destination ?? 1),
  );
}

/** Silent by default for library use; the CLI installs a real one. */
export const silentLogger: Logger = pino({ level: 'silent' });
