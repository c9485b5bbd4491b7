/**
 * Logging: winston, one root logger, a child per component (`component` field on every line).
 *
 * - JSON lines by default; readable one-line text when stderr is a TTY (or LOG_FORMAT=pretty).
 * - Everything goes to stderr, so commands that print results on stdout stay pipeable.
 * - Every line passes the redaction format (src/observability/secrets.ts): secret keys and registered secret
 *   values never reach an output. Level from LOG_LEVEL (default info).
 */
import { Writable } from 'node:stream';
import { createLogger as createWinston, format, transports, type Logger } from 'winston';
import { redactDeep } from './secrets.ts';

export type { Logger };

const redactFormat = format((info) => {
  const clean = redactDeep({ ...info });
  for (const key of Object.keys(clean)) (info as Record<string, unknown>)[key] = (clean as Record<string, unknown>)[key];
  // winston keeps the message under a symbol too; the visible fields above are what formats read.
  return info;
});

const errorsFormat = format((info) => {
  for (const [k, v] of Object.entries(info)) {
    if (v instanceof Error) {
      const err = v as Error & { code?: unknown };
      (info as Record<string, unknown>)[k] = { name: err.name, code: err.code, message: err.message };
    }
  }
  return info;
});

function wantPretty(): boolean {
  const f = process.env['LOG_FORMAT'];
  if (f === 'json') return false;
  if (f === 'pretty') return true;
  return Boolean(process.stderr.isTTY);
}

const pretty = format.printf((info) => {
  const { level, message, timestamp, component, ...rest } = info as Record<string, unknown>;
  const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  return `${String(timestamp)} ${String(level)} [${String(component ?? 'main')}] ${String(message)}${extra}`;
});

export const rootLogger: Logger = createWinston({
  level: process.env['LOG_LEVEL'] ?? 'info',
  format: format.combine(errorsFormat(), redactFormat(), format.timestamp(), wantPretty() ? pretty : format.json()),
  transports: [
    new transports.Console({
      stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'],
    }),
  ],
});

/** A logger whose every line carries `component`. */
export function getLogger(component: string): Logger {
  return rootLogger.child({ component });
}

/** Route log lines to an extra stream as JSON (tests capture output this way). Returns a remover. */
export function addLogStream(stream: Writable): () => void {
  const t = new transports.Stream({ stream, format: format.json() });
  rootLogger.add(t);
  return () => {
    rootLogger.remove(t);
  };
}

/** Collect JSON log lines in memory (tests). */
export function captureLogs(): { lines: string[]; text: () => string; stop: () => void } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  const stop = addLogStream(stream);
  return { lines, text: () => lines.join(''), stop };
}
