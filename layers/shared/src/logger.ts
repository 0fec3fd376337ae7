import { pino, type Logger } from 'pino';
import { config } from './config.js';

/** JSON lines on stdout; secrets never reach a log line (see redact). */
export const logger: Logger = pino({
  level: config.logLevel,
  base: { service: 'chat4all' },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
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
