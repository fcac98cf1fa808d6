import { describe, expect, it } from 'vitest';

import { decideEvent, type SlackMessageEvent } from '../../src/slack/message-events.js';

const bot = { userId: 'U0LAN0Z89', botId: 'B0LAN0Z89' };
const mention: SlackMessageEvent = { type: 'app_mention', channel: 'C1', user: 'U1', text: '<@U0LAN0Z89> hi', ts: '10.1' };

describe('decideEvent', () => {
  it('places a top-level mention in its own thread', () => {
    expect(decideEvent(mention, 'T1', bot, false)).toEqual({
      target: {
        teamId: 'T1',
        channel: 'C1',
        ts: '10.1',
        replyThreadTs: '10.1',
        conversationId: 'C1:10.1',
        userId: 'U1',
        text: '<@U0LAN0Z89> hi',
        isDirectMessage: false,
        needsFollowedThread: false,
      },
    });
  });

  it('places a mention in a thread in the parent thread', () => {
    const decision = decideEvent({ ...mention, ts: '11.1', thread_ts: '10.1' }, 'T1', bot, false);
    expect(decision).toMatchObject({ target: { replyThreadTs: '10.1', conversationId: 'C1:10.1' } });
  });

  it('marks a thread reply without a mention as a follow-up', () => {
    const reply = { type: 'message', channel_type: 'channel', channel: 'C1', user: 'U1', text: 'more', ts: '11.1', thread_ts: '10.1' };
    expect(decideEvent(reply, 'T1', bot, false)).toMatchObject({ target: { needsFollowedThread: true, conversationId: 'C1:10.1' } });
  });

  it('answers a direct message in the DM', () => {
    const dm = { type: 'message', channel_type: 'im', channel: 'D1', user: 'U1', text: 'hi', ts: '12.1' };
    expect(decideEvent(dm, 'T1', bot, false)).toMatchObject({
      target: { isDirectMessage: true, conversationId: 'D1', replyThreadTs: undefined },
    });
  });

  it.each([
    ['own user', { ...mention, user: bot.userId }],
    ['own bot id', { ...mention, user: undefined, bot_id: bot.botId }],
    ['other bot', { ...mention, bot_id: 'B0OTHER' }],
    ['edit', { ...mention, type: 'message', channel_type: 'im', subtype: 'message_changed' }],
    ['deletion', { ...mention, type: 'message', channel_type: 'im', subtype: 'message_deleted' }],
    ['join', { ...mention, type: 'message', channel_type: 'channel', subtype: 'channel_join' }],
    ['top-level channel message', { ...mention, type: 'message', channel_type: 'channel' }],
  ])('ignores %s', (_case, event) => {
    expect(decideEvent(event as SlackMessageEvent, 'T1', bot, false)).toHaveProperty('ignored');
  });

  it('answers other bots when configured', () => {
    const fromBot = { ...mention, user: undefined, bot_id: 'B0OTHER', subtype: 'bot_message' };
    expect(decideEvent(fromBot, 'T1', bot, true)).toMatchObject({ target: { userId: 'B0OTHER' } });
    expect(decideEvent({ ...fromBot, bot_id: bot.botId }, 'T1', bot, true)).toHaveProperty('ignored');
  });
});
