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

/**
 * Joins an error's message with the messages of its causes, leaving out a cause whose message is
 * already there. Wrappers often quote their cause, as in "Model call failed: Connection error.",
 * and pino's own join would then repeat it.
 */
function messageWithCauses(error: Error): string {
  let message = error.message;
  const seen = new Set<unknown>([error]);
  for (let cause = error.cause; cause instanceof Error && !seen.has(cause); cause = cause.cause) {
    seen.add(cause);
    if (cause.message !== '' && !message.includes(cause.message)) message += `: ${cause.message}`;
  }
  return message;
}

function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error);
  if (error instanceof Error) serialized.message = messageWithCauses(error);
  return serialized;
}

/** Creates the process logger. Logs go to standard error, so the terminal chat keeps standard output. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'frugal' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError },
    },
    destination ?? pino.destination(2),
  );
}
