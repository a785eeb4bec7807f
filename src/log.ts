import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * One logger for the whole process: JSON lines in production (and whenever stdout is not a terminal),
 * human-readable in a terminal. Secrets never reach it: the paths below are redacted wherever they appear.
 */
export function createLogger(
  options: {
    level?: string;
    pretty?: boolean;
    name?: string;
    destination?: 1 | 2;
    /**
     * One short line per entry: the level, the message and the error's own message, no fields and no stack (unless
     * the level is debug or trace). For logs that share a terminal with a conversation (the console bot).
     */
    brief?: boolean;
  } = {},
): Logger {
  const level = options.level ?? process.env.THREADLINE_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info';
  const brief = options.brief === true && level !== 'debug' && level !== 'trace';
  const pretty = brief || (options.pretty ?? (process.stdout.isTTY === true && process.env.NODE_ENV !== 'production'));
  const prettyOptions = brief
    ? { colorize: false, hideObject: true, ignore: 'pid,hostname,time,name', messageFormat: '{msg}{if err.message} ({err.message}){end}' }
    : { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' };
  return pino(
    {
    name: options.name ?? 'threadline',
    level,
    redact: {
      paths: ['token', 'apiKey', 'password', 'secret', '*.token', '*.apiKey', '*.password', '*.secret', 'headers.authorization'],
      censor: '***',
    },
    transport: pretty
      ? { target: 'pino-pretty', options: { ...prettyOptions, destination: options.destination ?? 1 } }
      : undefined,
    },
    pretty ? undefined : pino.destination(options.destination ?? 1),
  );
}

/** Silent by default for library use; the CLI installs a real one. */
export const silentLogger: Logger = pino({ level: 'silent' });
