import type { Logger } from 'pino';

import { describeDiscordError } from './discord-errors.js';

/**
 * Discord shows a typing indicator for about 10 seconds after one request, so it is renewed
 * before it runs out while the model works.
 */
export const TYPING_INTERVAL_MS = 8000;

/** A channel that can show the bot as typing. */
export interface TypingChannel {
  id: string;
  sendTyping(): Promise<void>;
}

/**
 * Shows the bot as typing in a channel until the returned function is called. A failed
 * request is logged and does not stop the answer.
 */
export function startTyping(channel: TypingChannel, logger: Logger, intervalMs = TYPING_INTERVAL_MS): () => void {
  let stopped = false;
  const send = () => {
    if (stopped) return;
    channel.sendTyping().catch((error: unknown) => {
      logger.warn({ channel: channel.id, error: describeDiscordError(error) }, 'discord typing indicator failed');
    });
  };
  send();
  const timer = setInterval(send, intervalMs);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
