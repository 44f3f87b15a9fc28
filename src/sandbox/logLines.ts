/**
 * The sandbox's log lines are capped: a request can carry a 16 MB body or a very long path, and a line
 * per request must not turn into gigabytes of log.
 */
import type { Logger } from '../core/logger';

/** The longest log line the sandbox writes (characters); the rest is summarised. */
export const maxLogLineChars = 2_000;

/** `text` cut to `max` characters, saying how much was left out. */
export function capLine(text: string, max = maxLogLineChars): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

function capArg(a: unknown): unknown {
  if (typeof a === 'string') {
    return capLine(a);
  }
  if (a instanceof Error) {
    return capLine(a.stack ?? a.message);
  }
  return a;
}

/** A logger that caps every message and argument before passing them on. */
export function cappedLogger(inner: Logger): Logger {
  const wrap =
    (log: (message: string, ...args: unknown[]) => void) =>
    (message: string, ...args: unknown[]): void =>
      log(capLine(message), ...args.map(capArg));
  return {
    trace: wrap((m, ...a) => inner.trace(m, ...a)),
    debug: wrap((m, ...a) => inner.debug(m, ...a)),
    info: wrap((m, ...a) => inner.info(m, ...a)),
    warn: wrap((m, ...a) => inner.warn(m, ...a)),
    error: (message: string | Error, ...args: unknown[]): void =>
      inner.error(
        typeof message === 'string' ? capLine(message) : capLine(message.stack ?? message.message),
        ...args.map(capArg),
      ),
  };
}
