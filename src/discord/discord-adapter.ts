import { once } from 'node:events';

import { Client, DiscordjsErrorCodes, Events, GatewayIntentBits, Options, Partials } from 'discord.js';
import type { Logger } from 'pino';

import type { Frugal } from '../app.js';
import type { RunningAdapter } from '../index.js';
import { ConversationLinks } from './conversation-links.js';
import { describeDiscordError } from './discord-errors.js';
import { DISALLOWED_INTENTS_MESSAGE, logClientEvents } from './gateway-events.js';
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

/**
 * How long start-up may take, from login to the gateway's READY and guilds, in milliseconds.
 * discord.js sets no limit of its own: it retries a failing connection and waits for Discord's
 * session start limit to reset. The bound turns such a wait into a start failure that names the cause.
 */
export const START_TIMEOUT_MS = 60_000;

export interface DiscordAdapterOptions {
  /** Milliseconds between typing indicator renewals while the model works. */
  typingIntervalMs?: number;
  startTimeoutMs?: number;
  /** How long identical gateway errors and reconnects are counted instead of logged, in milliseconds. */
  repeatLogIntervalMs?: number;
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

/** How long stopping the client may take, in milliseconds. */
const DESTROY_TIMEOUT_MS = 2000;

/**
 * Destroys the client, waiting at most `timeoutMs`. In @discordjs/ws 1.2.3, destroy() never
 * resolves when it is called while a shard waits for READY, and a shard destroyed during its
 * 500 ms pause before a reconnect goes on reconnecting. Such a client is left to the process exit.
 */
async function destroyWithin(client: Client, logger: Logger, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), timeoutMs);
  });
  const stopped = client.destroy().then(
    () => false,
    (error: unknown) => {
      logger.warn({ error: describeDiscordError(error) }, 'discord client failed to stop cleanly');
      return false;
    },
  );
  if (await Promise.race([stopped, timedOut])) {
    logger.warn({ timeoutMs }, 'discord client did not stop in time; its connection ends with the process');
  }
  clearTimeout(timer);
}

class StartTimeoutError extends Error {
  override name = 'StartTimeoutError';
}

function startTimeoutError(timeoutMs: number, lastGatewayError: string | undefined): StartTimeoutError {
  const cause = lastGatewayError ? `the last gateway error was "${lastGatewayError}"` : 'no gateway error was reported';
  return new StartTimeoutError(
    `Discord did not become ready within ${timeoutMs / 1000} seconds (${cause}): check DISCORD_API_URL, the network and Discord's status, then restart.`,
  );
}

/** Returns an error for a failed login whose message names the fix. */
function loginError(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && 'code' in error && error.code === DiscordjsErrorCodes.TokenInvalid) {
    return new Error('Discord rejected DISCORD_TOKEN as invalid: copy the bot token from the developer portal (Bot, Reset Token) and set it again.');
  }
  if (/disallowed intents/i.test(message)) return new Error(DISALLOWED_INTENTS_MESSAGE);
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
  let reportFailure: (error: Error) => void = () => undefined;
  const failure = new Promise<Error>((resolve) => {
    reportFailure = resolve;
  });
  let lastGatewayError: string | undefined;
  client.on(Events.ShardError, (error) => {
    lastGatewayError = error.message;
  });
  logClientEvents(client, logger, {
    stopping: () => stopping,
    onFatalClose: (error) => reportFailure(error),
    repeatLogIntervalMs: options.repeatLogIntervalMs,
  });

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
  const connected = client.login(token).then(() => ready);
  connected.catch(() => undefined);
  const timeoutMs = options.startTimeoutMs ?? START_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(startTimeoutError(timeoutMs, lastGatewayError)), timeoutMs);
  });
  try {
    await Promise.race([connected, timedOut]);
  } catch (error) {
    stopping = true;
    await destroyWithin(client, logger, DESTROY_TIMEOUT_MS);
    throw error instanceof StartTimeoutError ? error : loginError(error);
  } finally {
    clearTimeout(timer);
  }
  logger.info({ user: client.user?.id, application: client.application?.id, guilds: client.guilds.cache.size }, 'discord connected');

  return {
    name: 'discord',
    failure,
    async stop() {
      stopping = true;
      await destroyWithin(client, logger, DESTROY_TIMEOUT_MS);
      logger.info('discord disconnected');
    },
  };
}
