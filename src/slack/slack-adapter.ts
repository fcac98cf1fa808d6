import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

import { App, type Context, HTTPReceiver, webApi } from '@slack/bolt';

import type { Frugal } from '../app.js';
import type { RunningAdapter } from '../index.js';
import { publishHome } from './app-home.js';
import { DeliveryDedupe } from './delivery-dedupe.js';
import { type BotIdentity, decideEvent, type SlackMessageEvent } from './message-events.js';
import { limitRequestBody } from './request-body-limit.js';
import { describeSlackError, SlackLibraryLogger, slackClientOptions, slackErrorCode } from './slack-client.js';
import { runSlashCommand, SLASH_COMMAND_PATTERN } from './slash-commands.js';
import { TurnRunner } from './turn-runner.js';

/** Path of the Events API and slash-command endpoint in HTTP mode. */
export const EVENTS_PATH = '/slack/events';

/** How long stop() waits for turns in progress to finish, in milliseconds. */
const STOP_GRACE_MS = 10_000;

export interface SlackAdapterOptions {
  /** Interface the HTTP mode listens on; all interfaces when absent. Tests pass 127.0.0.1. */
  host?: string;
}

/** A running Slack adapter. `port` is the HTTP port in HTTP mode, absent in Socket Mode. */
export interface SlackAdapter extends RunningAdapter {
  mode: 'socket' | 'http';
  port?: number;
  bot: BotIdentity;
  /** Resolves when no turn, command or Home tab update is running. */
  settle(): Promise<void>;
}

export class SlackStartError extends Error {
  override name = 'SlackStartError';
}

/**
 * Starts the Slack adapter: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP on PORT
 * at /slack/events, verified with SLACK_SIGNING_SECRET. auth.test runs first, so a revoked
 * or mistyped bot token stops the start with a message naming the fix.
 */
export async function startSlack(frugal: Frugal, options: SlackAdapterOptions = {}): Promise<SlackAdapter> {
  const { botToken, appToken, signingSecret, apiUrl, port, answerBots } = frugal.config.slack;
  if (!botToken) throw new SlackStartError('Missing SLACK_BOT_TOKEN: set it to the bot token (xoxb-…) from OAuth & Permissions.');
  if (!appToken && !signingSecret) {
    throw new SlackStartError(
      'Missing SLACK_APP_TOKEN and SLACK_SIGNING_SECRET: set SLACK_APP_TOKEN for Socket Mode, or SLACK_SIGNING_SECRET for HTTP mode.',
    );
  }
  const logger = frugal.logger.child({ adapter: 'slack' });
  const libraryLogger = new SlackLibraryLogger(logger);
  const clientOptions = slackClientOptions(apiUrl, libraryLogger);
  const bot = await identifyBot(new webApi.WebClient(botToken, clientOptions));
  const mode = appToken ? 'socket' : 'http';

  let receiver: HTTPReceiver | undefined;
  if (!appToken) {
    receiver = new HTTPReceiver({ signingSecret: signingSecret!, endpoints: EVENTS_PATH, logger: libraryLogger });
    receiver.requestListener = limitRequestBody(receiver.requestListener, EVENTS_PATH, logger);
  }
  // Bolt 4 acknowledges every Events API delivery before the listeners run and does not drop
  // retries (X-Slack-Retry-Num, Socket Mode retry_attempt), so DeliveryDedupe decides.
  const app = new App({
    token: botToken,
    botId: bot.botId,
    botUserId: bot.userId,
    tokenVerificationEnabled: false,
    // The core keeps conversation state, so Bolt's in-memory conversation store stays off.
    convoStore: false,
    logger: libraryLogger,
    clientOptions,
    ...(receiver ? { receiver } : { socketMode: true, appToken }),
  });
  const turns = new TurnRunner(frugal, app.client, bot, new DeliveryDedupe(frugal.store));
  const pending = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
    return work;
  };

  const onMessage = async (event: SlackMessageEvent, body: { team_id?: string; event_id?: string }, context: Context) => {
    // Without team_id in the envelope, the bot token's own workspace (from auth.test) is the ledger's
    // workspace. It comes before event.team, which in a shared channel names the sender's workspace.
    const teamId = body.team_id ?? context.teamId ?? bot.teamId ?? event.team;
    if (!teamId) {
      logger.warn({ channel: event.channel, ts: event.ts, event: body.event_id }, 'slack event has no team id; ignored');
      return;
    }
    const decision = decideEvent(event, teamId, bot, answerBots);
    if ('ignored' in decision) {
      logger.trace({ team: teamId, channel: event.channel, ts: event.ts, reason: decision.ignored }, 'slack event ignored');
      return;
    }
    await track(
      turns.run(decision.target, {
        eventId: body.event_id,
        eventType: event.type,
        retryNum: context.retryNum,
        retryReason: context.retryReason,
      }),
    );
  };
  app.event('app_mention', ({ event, body, context }) => onMessage(event as SlackMessageEvent, body, context));
  app.message(({ message, body, context }) => onMessage(message as SlackMessageEvent, body, context));

  app.command(SLASH_COMMAND_PATTERN, async ({ command, ack, respond }) => {
    await ack();
    await track(runSlashCommand(frugal, app.client, command, respond));
  });
  app.event('app_home_opened', async ({ event, body }) => {
    if (event.tab !== 'home') return;
    await track(publishHome(frugal, app.client, body.team_id, event.user));
  });
  app.event('tokens_revoked', async ({ body }) => {
    logger.error({ team: body.team_id }, 'slack tokens revoked; reinstall the app and update SLACK_BOT_TOKEN');
  });
  app.error(async (error) => {
    logger.error({ code: error.code, ...describeSlackError(error.original ?? error) }, 'slack listener failed');
  });

  let listening: Server | undefined;
  try {
    if (mode === 'socket') {
      await app.start();
    } else {
      listening = (await app.start({ port, ...(options.host ? { host: options.host } : {}) })) as Server;
    }
  } catch (error) {
    throw new SlackStartError(`Slack ${mode === 'socket' ? 'Socket Mode' : 'HTTP mode'} failed to start: ${startFailure(error)}`);
  }
  const boundPort = listening ? (listening.address() as AddressInfo).port : undefined;
  logger.info({ mode, port: boundPort, botUser: bot.userId, team: bot.teamId }, 'slack adapter started');

  return {
    name: 'slack',
    mode,
    port: boundPort,
    bot,
    async settle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async stop() {
      await app.stop();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, STOP_GRACE_MS);
      });
      await Promise.race([Promise.allSettled([...pending]), grace]);
      clearTimeout(timer);
      if (pending.size > 0) logger.warn({ turns: pending.size }, 'slack adapter stopped with turns still running');
      logger.info({ mode }, 'slack adapter stopped');
    },
  };
}

/** Calls auth.test for the bot's user id and bot id, and turns its failure into a message that names the fix. */
async function identifyBot(client: webApi.WebClient): Promise<BotIdentity & { teamId?: string }> {
  try {
    const result = await client.auth.test();
    if (!result.user_id) throw new SlackStartError('auth.test returned no user_id; check that SLACK_BOT_TOKEN is a bot token (xoxb-…).');
    return { userId: result.user_id, botId: result.bot_id, teamId: result.team_id };
  } catch (error) {
    if (error instanceof SlackStartError) throw error;
    const code = slackErrorCode(error);
    if (['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive'].includes(code)) {
      throw new SlackStartError(
        `Slack rejected SLACK_BOT_TOKEN (${code}): copy the current Bot User OAuth Token from OAuth & Permissions, or reinstall the app.`,
      );
    }
    throw new SlackStartError(`Slack auth.test failed (${code}): ${describeSlackError(error).message}`);
  }
}

function startFailure(error: unknown): string {
  const code = slackErrorCode(error);
  if (code === 'invalid_auth' || code === 'not_authed') {
    return `Slack rejected SLACK_APP_TOKEN (${code}): create an app-level token with the connections:write scope (xapp-…).`;
  }
  return error instanceof Error ? error.message : String(error);
}
