/** The fields of an `app_mention` or `message` event that the adapter reads. */
export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  channel?: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
  /** The sender's workspace, when Slack includes it. */
  team?: string;
}

/** The bot's own ids, from auth.test. */
export interface BotIdentity {
  userId: string;
  botId?: string;
}

/** One user message the adapter may answer, already placed in its conversation. */
export interface TurnTarget {
  teamId: string;
  channel: string;
  /** The ts of the user's message. */
  ts: string;
  /** The thread the reply goes to; absent for a top-level direct message. */
  replyThreadTs?: string;
  /** `channel:thread_ts` for threads, the channel id for a top-level direct message. */
  conversationId: string;
  userId: string;
  text: string;
  isDirectMessage: boolean;
  /** True for a thread reply without a mention: answered only in threads the bot has answered. */
  needsFollowedThread: boolean;
}

export type EventDecision = { target: TurnTarget } | { ignored: string };

/**
 * Message subtypes that are a person writing: a plain message has none, a thread reply also
 * sent to the channel is `thread_broadcast`, and a message with an attachment is `file_share`.
 * Edits, deletions, joins and every other subtype are ignored.
 */
const ANSWERED_SUBTYPES = new Set([undefined, 'thread_broadcast', 'file_share']);

/**
 * Decides whether an `app_mention` or `message` event is a user message to answer, and where.
 * A mention in a channel is answered in its thread (the parent's `thread_ts`, or the message's
 * own ts). A direct message is answered in the DM. Any other channel message is a candidate
 * follow-up, answered only in a thread the bot has answered before.
 */
export function decideEvent(
  event: SlackMessageEvent,
  teamId: string,
  bot: BotIdentity,
  answerBots: boolean,
): EventDecision {
  if (event.user === bot.userId || (bot.botId !== undefined && event.bot_id === bot.botId)) return { ignored: 'own message' };
  const fromBot = event.bot_id !== undefined || event.subtype === 'bot_message';
  if (fromBot && !answerBots) return { ignored: 'bot message' };
  if (!ANSWERED_SUBTYPES.has(event.subtype) && !(fromBot && event.subtype === 'bot_message')) {
    return { ignored: `subtype ${event.subtype}` };
  }
  const userId = event.user ?? event.bot_id;
  if (!event.channel || !event.ts || !userId) return { ignored: 'missing channel, ts or user' };

  const text = event.text ?? '';
  const isDirectMessage = event.channel_type === 'im';
  if (isDirectMessage) {
    return {
      target: {
        teamId,
        channel: event.channel,
        ts: event.ts,
        replyThreadTs: event.thread_ts,
        conversationId: event.thread_ts ? `${event.channel}:${event.thread_ts}` : event.channel,
        userId,
        text,
        isDirectMessage: true,
        needsFollowedThread: false,
      },
    };
  }

  const isMention = event.type === 'app_mention';
  if (!isMention && !event.thread_ts) return { ignored: 'channel message outside a thread' };
  const threadTs = event.thread_ts ?? event.ts;
  return {
    target: {
      teamId,
      channel: event.channel,
      ts: event.ts,
      replyThreadTs: threadTs,
      conversationId: `${event.channel}:${threadTs}`,
      userId,
      text,
      isDirectMessage: false,
      needsFollowedThread: !isMention,
    },
  };
}
