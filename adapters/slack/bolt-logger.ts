import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../src/log.js';

const BOLT_LEVELS: Record<string, LogLevel> = { trace: LogLevel.DEBUG, debug: LogLevel.DEBUG, info: LogLevel.INFO, warn: LogLevel.WARN };

/**
 * Bolt and its Socket Mode client log through this, so their lines (rejected signatures, reconnects…) come out
 * as the process's own JSON log lines at the process's level instead of as console text.
 */
export function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'bolt' });
  const line = (msg: unknown[]) => msg.map((part) => (part instanceof Error ? part.message : typeof part === 'string' ? part : JSON.stringify(part))).join(' ');
  return {
    debug: (...msg: unknown[]) => child.debug(line(msg)),
    info: (...msg: unknown[]) => child.info(line(msg)),
    warn: (...msg: unknown[]) => child.warn(line(msg)),
    error: (...msg: unknown[]) => child.error(line(msg)),
    // The process's level decides; Bolt only asks, to skip building debug output.
    setLevel: () => {},
    getLevel: () => BOLT_LEVELS[child.level] ?? LogLevel.ERROR,
    setName: () => {},
  };
}
