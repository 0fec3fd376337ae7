import { pino, type Logger } from 'pino';
import { config } from './config.js';
import { counter } from './metrics/registry.js';

const logLines = () => counter('log_lines_total', 'Log lines written, by level', ['level']);
/** The label of each level, made once (pino hands the hook the level's number). */
const LEVEL_LABELS = new Map(
  Object.entries(pino.levels.labels).map(([value, label]) => [Number(value), { level: label }]),
);

/** JSON lines on stdout; secrets never reach a log line (see redact). */
export const logger: Logger = pino({
  level: config.logLevel,
  base: { service: 'chat4all' },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
  hooks: {
    // Counts the lines written (the per-message cost budget), child loggers' too. pino calls the hook only for
    // levels that are enabled: a disabled level stays a no-op and counts nothing.
    logMethod(args, method, level) {
      logLines().inc(LEVEL_LABELS.get(level) ?? { level: String(level) });
      return method.apply(this, args);
    },
  },
  redact: {
    paths: [
      'password',
      '*.password',
      'authorization',
      '*.authorization',
      'headers.Authorization',
      'access_token',
      '*.access_token',
    ],
    censor: '[redacted]',
  },
});

export type { Logger };
