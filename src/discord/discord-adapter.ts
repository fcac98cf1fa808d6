import { once } from 'node:events';

import { Client, DiscordjsErrorCodes, Events, GatewayIntentBits, Options, Partials, RESTEvents } from 'discord.js';
import type { Logger } from 'pino';

import type { Frugal } from '../app.js';
import type { RunningAdapter } from '../index.js';
import { ConversationLinks } from './conversation-links.js';
import { describeDiscordError } from './discord-errors.js';
import { InteractionHandler } from './interaction-handler.js';
import { MessageHandler } from './message-handler.js';

/**
 * The gateway intents the bot needs. MessageContent is privileged: it must be enabled for the
 * application in the developer portal, or Discord closes the connection with code 4014.
 */
export const DISCORD_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
  GatewayIntentBits.DirectMessages,
];

/** Messages kept in memory per channel; the bot reads only the message it answers. */
const MESSAGES_CACHED_PER_CHANNEL = 25;

export interface DiscordAdapterOptions {
  /** Milliseconds between typing indicator renewals while the model works. */
  typingIntervalMs?: number;
}

/** Creates the discord.js client with Frugal's intents, partials, cache limits and mention rules. */
export function createDiscordClient(apiUrl?: string): Client {
  return new Client({
    intents: DISCORD_INTENTS,
    // Direct message channels are not cached before their first message, so without the
    // Channel partial discord.js drops DMs.
    partials: [Partials.Channel],
    // The model's text must never ping anyone: every send also sets this explicitly.
    allowedMentions: { parse: [], repliedUser: true },
    failIfNotExists: false,
    makeCache: Options.cacheWithLimits({ ...Options.DefaultMakeCacheSettings, MessageManager: MESSAGES_CACHED_PER_CHANNEL }),
    rest: apiUrl ? { api: apiUrl } : {},
  });
}

/**
 * Logs discord.js's own error, warning, rate limit and connection events with the ids involved.
 * discord.js reports its own shutdown as a reconnect, so that line is skipped once `stopping` returns true.
 */
function logClientEvents(client: Client, logger: Logger, stopping: () => boolean): void {
  client.on(Events.Error, (error) => logger.error({ error: describeDiscordError(error) }, 'discord client error'));
  client.on(Events.Warn, (message) => logger.warn({ detail: message }, 'discord client warning'));
  client.on(Events.Debug, (message) => logger.trace({ detail: message }, 'discord client debug'));
  client.on(Events.ShardError, (error, shard) => logger.error({ shard, error: describeDiscordError(error) }, 'discord gateway error'));
  client.on(Events.ShardDisconnect, (event, shard) => logger.error({ shard, code: event.code }, 'discord gateway disconnected and will not reconnect'));
  client.on(Events.ShardReconnecting, (shard) => {
    if (!stopping()) logger.warn({ shard }, 'discord gateway reconnecting');
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

/** Returns an error for a failed login whose message names the fix. */
function loginError(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && 'code' in error && error.code === DiscordjsErrorCodes.TokenInvalid) {
    return new Error('Discord rejected DISCORD_TOKEN as invalid: copy the bot token from the developer portal (Bot, Reset Token) and set it again.');
  }
  if (/disallowed intents/i.test(message)) {
    return new Error(
      'Discord rejected the privileged Message Content intent (gateway close code 4014): enable "Message Content Intent" ' +
        'under Bot, Privileged Gateway Intents, in the Discord developer portal, then restart.',
    );
  }
  return new Error(`Could not connect to Discord: ${message}`);
}

/**
 * Starts the Discord adapter: logs in, waits until the gateway delivered the bot's guilds, and
 * answers mentions, thread follow-ups, direct messages and the slash commands.
 */
export async function startDiscord(frugal: Frugal, options: DiscordAdapterOptions = {}): Promise<RunningAdapter> {
  const { token, apiUrl } = frugal.config.discord;
  if (!token) throw new Error('Missing DISCORD_TOKEN: set it to the bot token from the Discord developer portal.');
  const logger = frugal.logger.child({ platform: 'discord' });
  const client = createDiscordClient(apiUrl);
  let stopping = false;
  logClientEvents(client, logger, () => stopping);

  const messages = new MessageHandler({
    frugal,
    links: new ConversationLinks(frugal.store),
    logger,
    typingIntervalMs: options.typingIntervalMs,
  });
  const interactions = new InteractionHandler(frugal, logger);
  client.on(Events.MessageCreate, (message) => void messages.handle(message));
  client.on(Events.InteractionCreate, (interaction) => void interactions.handle(interaction));

  const ready = once(client, Events.ClientReady);
  // `once` also rejects on an 'error' event; a failed login must not leave that rejection unhandled.
  ready.catch(() => undefined);
  try {
    await client.login(token);
    await ready;
  } catch (error) {
    stopping = true;
    await client.destroy();
    throw loginError(error);
  }
  logger.info({ user: client.user?.id, application: client.application?.id, guilds: client.guilds.cache.size }, 'discord connected');

  return {
    name: 'discord',
    async stop() {
      stopping = true;
      await client.destroy();
      logger.info('discord disconnected');
    },
  };
}
