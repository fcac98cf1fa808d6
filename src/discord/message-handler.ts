import { cleanContent, type Message, MessageType } from 'discord.js';
import type { Logger } from 'pino';

import type { Frugal } from '../app.js';
import { EMPTY_ANSWER_REPLY } from '../core/chat-session.js';
import type { IncomingMessage, TurnReply } from '../core/types.js';
import type { ConversationLinks } from './conversation-links.js';
import { describeDiscordError, isAccessError } from './discord-errors.js';
import { splitMessage } from './message-format.js';
import { startTyping } from './typing.js';

/** The workspace id of every direct message. */
export const DM_WORKSPACE = 'dm';

export const TURN_FAILED_REPLY = 'Something went wrong while I was answering, so I could not reply. Please try again in a minute.';

/** How often the missing MessageContent intent is reported while messages keep arriving empty. */
const MISSING_INTENT_WARNING_INTERVAL_MS = 10 * 60 * 1000;

export interface MessageHandlerOptions {
  frugal: Frugal;
  links: ConversationLinks;
  logger: Logger;
  typingIntervalMs?: number;
}

/** The workspace and conversation of a turn, once the adapter decided to answer the message. */
interface TurnTarget {
  workspaceId: string;
  conversationId: string;
  isDirectMessage: boolean;
  inThread: boolean;
}

type Decision = { answer: true; target: TurnTarget } | { answer: false; reason: string };

/**
 * Decides which Discord messages the bot answers and answers them: mentions in channels (as
 * replies), replies to the bot's own messages, follow-ups in threads the bot takes part in, and
 * direct messages. Messages from bots, including this one, are never answered.
 */
export class MessageHandler {
  private missingIntentWarnedAt = 0;
  private missingIntentRepeats = 0;

  constructor(private readonly options: MessageHandlerOptions) {}

  /** Handles one MESSAGE_CREATE. Every failure is logged here, so the caller need not catch. */
  async handle(message: Message): Promise<void> {
    const ids = messageIds(message);
    try {
      const decision = await this.decide(message);
      if (!decision.answer) {
        this.options.logger.debug({ ...ids, reason: decision.reason }, 'discord message ignored');
        return;
      }
      await this.answer(message, decision.target, ids);
    } catch (error) {
      this.options.logger.error({ ...ids, error: describeDiscordError(error) }, 'discord message handling failed');
    }
  }

  private async decide(message: Message): Promise<Decision> {
    if (message.author.bot || message.webhookId !== null) return { answer: false, reason: 'bot-author' };
    if (message.system || (message.type !== MessageType.Default && message.type !== MessageType.Reply)) {
      return { answer: false, reason: 'system-message' };
    }
    const botId = message.client.user.id;
    const mentionsBot = botMentionsIn(message).length > 0 || message.mentions.users.has(botId);
    if (message.mentions.everyone && !mentionsBot) return { answer: false, reason: 'broadcast-only' };

    if (!message.inGuild()) {
      return { answer: true, target: { workspaceId: DM_WORKSPACE, conversationId: message.channelId, isDirectMessage: true, inThread: false } };
    }

    const { links } = this.options;
    const referencedId = message.reference?.messageId;
    const chain = referencedId ? await links.conversationOf(referencedId) : undefined;
    const repliesToBot = message.mentions.repliedUser?.id === botId || chain !== undefined;
    const thread = message.channel.isThread() ? message.channel : undefined;

    if (thread) {
      if (mentionsBot || repliesToBot) return { answer: true, target: threadTarget(message.guildId, thread.id) };
      if (!(await links.takesPartIn(thread.id))) return { answer: false, reason: 'thread-without-bot' };
      if (addressesSomeoneElse(message, botId)) return { answer: false, reason: 'addressed-to-others' };
      return { answer: true, target: threadTarget(message.guildId, thread.id) };
    }

    if (!mentionsBot && !repliesToBot) return { answer: false, reason: 'not-addressed' };
    const conversationId = chain ?? `${message.channelId}:${message.id}`;
    return { answer: true, target: { workspaceId: message.guildId, conversationId, isDirectMessage: false, inThread: false } };
  }

  private async answer(message: Message, target: TurnTarget, ids: Record<string, string>): Promise<void> {
    const { frugal, links, logger } = this.options;
    if (message.content.trim() === '') {
      if (message.attachments.size > 0 || message.stickers.size > 0) {
        logger.debug({ ...ids, reason: 'no-text' }, 'discord message ignored');
      } else {
        this.warnMissingIntent(ids);
      }
      return;
    }
    let claimed: boolean;
    try {
      claimed = await links.claim(message.id);
    } catch (error) {
      // The store failed before the turn started; no claim was recorded, so a replay is answered.
      logger.error({ ...ids, err: error }, 'discord turn failed');
      await this.send(message, TURN_FAILED_REPLY, ids);
      return;
    }
    if (!claimed) {
      logger.debug({ ...ids, reason: 'already-handled' }, 'discord message ignored');
      return;
    }

    const mentions = botMentionsIn(message);
    let text = message.content;
    for (const mention of mentions) text = text.split(mention).join(' ');

    const incoming: IncomingMessage = {
      platform: 'discord',
      workspaceId: target.workspaceId,
      conversationId: target.conversationId,
      userId: message.author.id,
      text: cleanContent(text, message.channel),
      isDirectMessage: target.isDirectMessage,
      botMentions: mentions,
      receivedAt: message.createdAt,
    };

    // The bot takes part in the thread from now on, so a follow-up sent while the model works is answered too.
    if (target.inThread) {
      await links.joinThread(message.channelId).catch((error: unknown) => {
        logger.error({ ...ids, err: error }, 'discord thread could not be joined; messages there need a mention');
      });
    }
    const stopTyping = message.channel.isSendable()
      ? startTyping(message.channel, logger, this.options.typingIntervalMs)
      : () => undefined;
    let reply: TurnReply;
    try {
      reply = await frugal.session.handle(incoming);
    } catch (error) {
      logger.error({ ...ids, err: error }, 'discord turn failed');
      reply = { kind: 'notice', text: TURN_FAILED_REPLY, costUsd: 0 };
    } finally {
      stopTyping();
    }

    const sentIds = await this.send(message, reply.text.trim() === '' ? EMPTY_ANSWER_REPLY : reply.text, ids);
    if (message.inGuild()) await links.linkMessages(sentIds, target.conversationId);
    logger.debug({ ...ids, conversation: target.conversationId, kind: reply.kind, parts: sentIds.length }, 'discord reply sent');
  }

  /** Posts the reply text, split at Discord's limit, and returns the ids of the messages sent. */
  private async send(message: Message, text: string, ids: Record<string, string>): Promise<string[]> {
    const chunks = splitMessage(text);
    const sent: string[] = [];
    try {
      const first = await message.reply({
        content: chunks[0]!,
        allowedMentions: { parse: [], repliedUser: true },
        failIfNotExists: false,
      });
      sent.push(first.id);
      for (const chunk of chunks.slice(1)) {
        if (!message.channel.isSendable()) break;
        const next = await message.channel.send({ content: chunk, allowedMentions: { parse: [] } });
        sent.push(next.id);
      }
    } catch (error) {
      const level = isAccessError(error) ? 'warn' : 'error';
      this.options.logger[level](
        { ...ids, sentParts: sent.length, parts: chunks.length, error: describeDiscordError(error) },
        'discord reply failed',
      );
    }
    return sent;
  }

  private warnMissingIntent(ids: Record<string, string>): void {
    const now = Date.now();
    if (now - this.missingIntentWarnedAt < MISSING_INTENT_WARNING_INTERVAL_MS) {
      this.missingIntentRepeats++;
      return;
    }
    this.options.logger.warn(
      { ...ids, repeatsSinceLastWarning: this.missingIntentRepeats },
      'discord message content is empty, so it was not answered: enable the Message Content privileged intent ' +
        '(MessageContent) under Bot in the Discord developer portal and restart',
    );
    this.missingIntentWarnedAt = now;
    this.missingIntentRepeats = 0;
  }
}

/**
 * Returns the mention strings of the bot in a message's text: `<@id>`, the older nickname form
 * `<@!id>`, and `<@&id>` for the role Discord creates for the bot, which users often pick instead.
 */
function botMentionsIn(message: Message): string[] {
  const botId = message.client.user.id;
  const candidates = [`<@${botId}>`, `<@!${botId}>`, ...botRoles(message).map((roleId) => `<@&${roleId}>`)];
  return candidates.filter((mention) => message.content.includes(mention));
}

/** Returns the ids of the mentioned roles that belong to the bot (managed roles tagged with its id). */
function botRoles(message: Message): string[] {
  const botId = message.client.user.id;
  return message.mentions.roles.filter((role) => role.tags?.botId === botId).map((role) => role.id);
}

function threadTarget(guildId: string, threadId: string): TurnTarget {
  return { workspaceId: guildId, conversationId: threadId, isDirectMessage: false, inThread: true };
}

/** Returns whether a message mentions or replies to users other than the bot, or mentions roles. */
function addressesSomeoneElse(message: Message, botId: string): boolean {
  const others = message.mentions.users.filter((user) => user.id !== botId);
  const otherRoles = message.mentions.roles.filter((role) => role.tags?.botId !== botId);
  const repliedUser = message.mentions.repliedUser;
  return others.size > 0 || otherRoles.size > 0 || (repliedUser !== null && repliedUser.id !== botId);
}

function messageIds(message: Message): Record<string, string> {
  return {
    guild: message.guildId ?? DM_WORKSPACE,
    channel: message.channelId,
    message: message.id,
    user: message.author.id,
  };
}
