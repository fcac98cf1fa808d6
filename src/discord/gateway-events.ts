import { type Client, Events, GatewayCloseCodes, RESTEvents } from 'discord.js';
import type { Logger } from 'pino';

import { describeDiscordError } from './discord-errors.js';

/** How long an identical gateway error, or a reconnect, is counted instead of logged again, in milliseconds. */
export const REPEAT_LOG_INTERVAL_MS = 60_000;

/** The maximum number of distinct repeated lines remembered; past it, all are forgotten and logged anew. */
const MAX_REPEAT_KEYS = 100;

export const DISALLOWED_INTENTS_MESSAGE =
  'Discord rejected the privileged Message Content intent (gateway close code 4014): enable "Message Content Intent" ' +
  'under Bot, Privileged Gateway Intents, in the Discord developer portal, then restart.';

/** Returns the error for a gateway close that discord.js does not reconnect after, naming the fix. */
export function fatalCloseError(code: number): Error {
  switch (code) {
    case GatewayCloseCodes.AuthenticationFailed:
      return new Error(
        'Discord closed the gateway with code 4004 (authentication failed): DISCORD_TOKEN is no longer valid. Copy the ' +
          'bot token from the developer portal (Bot, Reset Token), set DISCORD_TOKEN and restart.',
      );
    case GatewayCloseCodes.DisallowedIntents:
      return new Error(DISALLOWED_INTENTS_MESSAGE);
    case GatewayCloseCodes.ShardingRequired:
      return new Error(
        'Discord closed the gateway with code 4011 (sharding required): the bot is in too many servers for one ' +
          'gateway connection, and Frugal opens only one.',
      );
    default:
      return new Error(
        `Discord closed the gateway with code ${code} (${GatewayCloseCodes[code] ?? 'unknown'}), after which discord.js ` +
          'does not reconnect. Check DISCORD_TOKEN and DISCORD_API_URL, then restart.',
      );
  }
}

/**
 * Counts repeats of a log line, so that a line that recurs every few hundred milliseconds is
 * logged once per interval with the number of repeats since the last time.
 */
class RepeatCounter {
  private readonly seen = new Map<string, { loggedAt: number; repeats: number }>();

  constructor(private readonly intervalMs: number) {}

  /** Returns the repeats since the line was last logged when it should be logged now, or undefined to skip it. */
  next(key: string): number | undefined {
    const now = Date.now();
    const entry = this.seen.get(key);
    if (entry && now - entry.loggedAt < this.intervalMs) {
      entry.repeats++;
      return undefined;
    }
    if (!entry && this.seen.size >= MAX_REPEAT_KEYS) this.seen.clear();
    this.seen.set(key, { loggedAt: now, repeats: 0 });
    return entry?.repeats ?? 0;
  }
}

export interface ClientEventOptions {
  /** Returns true once the adapter is stopping; discord.js then reports its own shutdown as reconnects and errors. */
  stopping: () => boolean;
  /** Called once the gateway closed with a code discord.js does not reconnect after. */
  onFatalClose: (error: Error) => void;
  repeatLogIntervalMs?: number;
}

/**
 * Logs discord.js's own error, warning, rate limit and connection events with the ids involved.
 * A gateway error with the same message, and a reconnect, is logged at most once per
 * `repeatLogIntervalMs`, with its stack trace only the first time.
 */
export function logClientEvents(client: Client, logger: Logger, options: ClientEventOptions): void {
  const { stopping } = options;
  const repeats = new RepeatCounter(options.repeatLogIntervalMs ?? REPEAT_LOG_INTERVAL_MS);

  client.on(Events.Error, (error) => logger.error({ error: describeDiscordError(error) }, 'discord client error'));
  client.on(Events.Warn, (message) => logger.warn({ detail: message }, 'discord client warning'));
  client.on(Events.Debug, (message) => logger.trace({ detail: message }, 'discord client debug'));
  client.on(Events.ShardError, (error, shard) => {
    if (stopping()) {
      logger.trace({ shard, error: describeDiscordError(error) }, 'discord gateway error after stop');
      return;
    }
    const repeated = repeats.next(`error:${error.message}`);
    if (repeated === undefined) return;
    const described = describeDiscordError(error);
    if (repeated > 0) delete described.stack;
    logger.error({ shard, error: described, repeatsSinceLastLine: repeated }, 'discord gateway error');
  });
  client.on(Events.ShardDisconnect, (event, shard) => {
    const error = fatalCloseError(event.code);
    logger.error({ shard, code: event.code, detail: error.message }, 'discord gateway disconnected and will not reconnect');
    if (!stopping()) options.onFatalClose(error);
  });
  client.on(Events.ShardReconnecting, (shard) => {
    if (stopping()) return;
    const repeated = repeats.next('reconnecting');
    if (repeated !== undefined) logger.warn({ shard, repeatsSinceLastLine: repeated }, 'discord gateway reconnecting');
  });
  client.on(Events.ShardResume, (shard, replayed) => logger.info({ shard, replayed }, 'discord gateway resumed'));
  client.rest.on(RESTEvents.RateLimited, (info) =>
    logger.warn(
      { route: info.route, method: info.method, majorParameter: info.majorParameter, global: info.global, retryAfterMs: info.retryAfter, scope: info.scope },
      'discord rate limited; the request waits and is retried',
    ),
  );
  client.rest.on(RESTEvents.InvalidRequestWarning, (info) =>
    logger.warn({ count: info.count, remainingTimeMs: info.remainingTime }, 'discord invalid requests (401, 403, 429) are piling up'),
  );
}
