import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Paths pino replaces with `[redacted]`: credentials wherever a config object, request
 * headers or an error's request options are logged. A wildcard stands for one level only.
 */
export const REDACTED_PATHS = [
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'token',
  '*.token',
  '*.*.token',
  '*.botToken',
  '*.*.botToken',
  '*.appToken',
  '*.*.appToken',
  '*.signingSecret',
  '*.*.signingSecret',
  'password',
  '*.password',
  '*.*.password',
  'headers.authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'err.headers.authorization',
  'err.error.headers.authorization',
  // @slack/web-api attaches the failed axios request as `original`, bot token header included.
  'err.original.config.headers.Authorization',
  'err.original.config.headers.authorization',
];

/** Creates the process logger. Logs go to standard error, so the terminal chat keeps standard output. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'frugal' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination ?? pino.destination(2),
  );
}
