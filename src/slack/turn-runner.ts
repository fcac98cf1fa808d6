import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';

import type { Frugal } from '../app.js';
import { EMPTY_ANSWER_REPLY } from '../core/chat-session.js';
import { cleanMessageText } from '../core/normalize.js';
import type { TurnReply } from '../core/types.js';
import { type DeliveryDedupe, deliveryKeys } from './delivery-dedupe.js';
import type { BotIdentity, TurnTarget } from './message-events.js';
import { markdownToMrkdwn, splitMrkdwn } from './mrkdwn.js';
import { callSlack, describeSlackError, slackErrorCode } from './slack-client.js';
import { botMentionsOf, slackToPlainText } from './slack-text.js';

/** The placeholder posted while the model works; the answer replaces it. */
export const THINKING_TEXT = 'Thinking…';

export const TURN_FAILED_REPLY = 'Something went wrong while answering, and the error is in the log. Please try again.';

/** The notice shown below the first part of an answer when a later part could not be posted. */
export const PARTIAL_ANSWER_NOTICE = '_(The rest of the answer could not be posted.)_';

/** How long a thread the bot answered keeps getting follow-ups without a mention: 30 days, in milliseconds. */
export const FOLLOWED_THREAD_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** Delivery details of one event, for the log. */
export interface DeliveryInfo {
  eventId?: string;
  eventType: string;
  retryNum?: number;
  retryReason?: string;
}

/** Runs turns for Slack messages: dedupe, placeholder, the core, rendering and posting. */
export class TurnRunner {
  private readonly logger: Logger;

  constructor(
    private readonly frugal: Frugal,
    private readonly client: webApi.WebClient,
    private readonly bot: BotIdentity,
    private readonly dedupe: DeliveryDedupe,
  ) {
    this.logger = frugal.logger;
  }

  /**
   * Answers one user message once, however many deliveries of it arrive. When handling fails
   * before an answer is posted, the user gets TURN_FAILED_REPLY where possible and the delivery
   * is released, so that Slack's retry can still be answered. Never throws.
   */
  async run(target: TurnTarget, delivery: DeliveryInfo): Promise<void> {
    const ids = {
      platform: 'slack',
      team: target.teamId,
      channel: target.channel,
      ts: target.ts,
      user: target.userId,
      event: delivery.eventId,
      eventType: delivery.eventType,
      retryNum: delivery.retryNum,
    };
    try {
      if (target.needsFollowedThread && !(await this.isFollowedThread(target))) return;
    } catch (error) {
      // Without the store it is unknown whether the bot follows this thread, so it stays silent.
      this.logger.error({ err: error, ...ids }, 'slack turn failed');
      return;
    }

    const keys = deliveryKeys(target.teamId, target.channel, target.ts, delivery.eventId);
    let answered = false;
    try {
      if (!(await this.dedupe.claim(keys))) {
        this.logger.debug({ ...ids, retryReason: delivery.retryReason }, 'slack delivery already answered; dropped');
        return;
      }
      answered = await this.answer(target, ids);
    } catch (error) {
      this.logger.error({ err: error, ...ids }, 'slack turn failed');
      await this.post(target, markdownToMrkdwn(TURN_FAILED_REPLY), ids).catch(() => undefined);
    }
    if (!answered) this.dedupe.release(keys);
  }

  /** Runs the turn and posts its reply. Returns whether a reply from the core was shown to the user. */
  private async answer(target: TurnTarget, ids: Record<string, unknown>): Promise<boolean> {
    const botMentions = botMentionsOf(this.bot.userId);
    const text = slackToPlainText(target.text, this.bot.userId);
    const message = {
      platform: 'slack' as const,
      workspaceId: target.teamId,
      conversationId: target.conversationId,
      userId: target.userId,
      text,
      isDirectMessage: target.isDirectMessage,
      botMentions,
    };

    // An empty mention gets the core's one-line hint at once: no placeholder, no model call.
    if (cleanMessageText(text, botMentions) === '') {
      const hint = await this.frugal.session.handle(message);
      return this.post(target, markdownToMrkdwn(hint.text), ids).then(
        () => true,
        () => false,
      );
    }

    let placeholderTs: string;
    try {
      placeholderTs = await this.post(target, THINKING_TEXT, ids);
    } catch {
      // Nothing could be shown to the user, so the model is not called for an answer nobody sees.
      return false;
    }
    if (!target.isDirectMessage && target.replyThreadTs) await this.followThread(target, ids);

    let reply: TurnReply | undefined;
    try {
      reply = await this.frugal.session.handle(message);
    } catch (error) {
      this.logger.error({ err: error, ...ids }, 'slack turn failed in the core');
    }
    const firstPartShown = await this.deliver(target, placeholderTs, reply?.text ?? TURN_FAILED_REPLY, ids);
    return firstPartShown && reply !== undefined;
  }

  /**
   * Replaces the placeholder with the first part of the answer and posts the rest in the same
   * thread. Returns whether the first part was shown.
   */
  private async deliver(target: TurnTarget, placeholderTs: string, markdown: string, ids: Record<string, unknown>): Promise<boolean> {
    const rendered = markdownToMrkdwn(markdown);
    // Slack rejects an empty section block, so a rendering without text gets the notice.
    const [first = EMPTY_ANSWER_REPLY, ...rest] = rendered.trim() === '' ? [] : splitMrkdwn(rendered);
    try {
      await callSlack(this.logger, 'chat.update', () =>
        this.client.chat.update({ channel: target.channel, ts: placeholderTs, ...messageContent(first) }),
      );
    } catch (error) {
      this.logger.error({ ...ids, method: 'chat.update', ...describeSlackError(error) }, 'slack call failed');
      const posted = await this.post(target, first, ids).then(
        () => true,
        () => false,
      );
      if (!posted) {
        await this.replacePlaceholder(target, placeholderTs, `I could not post the answer: Slack returned ${slackErrorCode(error)}.`);
        return false;
      }
    }
    for (const part of rest) {
      try {
        await this.post(target, part, ids);
      } catch {
        await this.replacePlaceholder(target, placeholderTs, first, PARTIAL_ANSWER_NOTICE);
        return true;
      }
    }
    return true;
  }

  /** Posts one mrkdwn message to the target's DM or thread and returns its ts. Logs and rethrows failures. */
  private async post(target: TurnTarget, mrkdwn: string, ids: Record<string, unknown>): Promise<string> {
    try {
      const result = await callSlack(this.logger, 'chat.postMessage', () =>
        this.client.chat.postMessage({
          channel: target.channel,
          ...(target.replyThreadTs ? { thread_ts: target.replyThreadTs } : {}),
          ...messageContent(mrkdwn),
        }),
      );
      return result.ts ?? '';
    } catch (error) {
      this.logger.error({ ...ids, method: 'chat.postMessage', ...describeSlackError(error) }, 'slack call failed');
      throw error;
    }
  }

  private async replacePlaceholder(target: TurnTarget, placeholderTs: string, ...sections: string[]): Promise<void> {
    try {
      await callSlack(this.logger, 'chat.update', () =>
        this.client.chat.update({ channel: target.channel, ts: placeholderTs, ...messageContent(...sections) }),
      );
    } catch (error) {
      this.logger.error(
        { team: target.teamId, channel: target.channel, ts: placeholderTs, method: 'chat.update', ...describeSlackError(error) },
        'slack call failed',
      );
    }
  }

  private async isFollowedThread(target: TurnTarget): Promise<boolean> {
    return (await this.frugal.store.kv.get(followedThreadKey(target))) !== undefined;
  }

  /** Records the thread as followed. A failure is logged and the answer still goes out. */
  private async followThread(target: TurnTarget, ids: Record<string, unknown>): Promise<void> {
    try {
      await this.frugal.store.kv.set(followedThreadKey(target), true, FOLLOWED_THREAD_TTL_MS);
    } catch (error) {
      this.logger.error({ err: error, ...ids }, 'slack thread could not be followed; replies there need a mention');
    }
  }
}

function followedThreadKey(target: TurnTarget): string {
  return `slack:thread:${target.teamId}:${target.channel}:${target.replyThreadTs}`;
}

/**
 * Builds the text and blocks of one message: one mrkdwn section per argument (each at most
 * 3,000 characters, which splitMrkdwn guarantees for answer parts) and the sections joined as
 * the notification fallback.
 */
export function messageContent(...sections: string[]): { text: string; blocks: webApi.KnownBlock[] } {
  return {
    text: sections.join('\n\n'),
    blocks: sections.map((mrkdwn) => ({ type: 'section', text: { type: 'mrkdwn', text: mrkdwn } })),
  };
}
