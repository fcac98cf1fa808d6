import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { readPaths } from '../../src/replay/read-paths.js';
import type { RecordedMessage } from '../../src/replay/recording.js';
import { buildTurns, pickAnswers } from '../../src/replay/turns.js';
import { FIXTURES } from './support.js';

let directory: string | undefined;

afterEach(() => {
  if (directory) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

function texts(messages: RecordedMessage[]): string[] {
  return messages.map((message) => message.text);
}

describe('Slack export reader', () => {
  it('splits threads from the timeline', () => {
    const recording = readPaths([join(FIXTURES, 'slack-tiny')]);
    expect(recording.problems).toEqual([]);
    const byId = new Map(recording.conversations.map((conversation) => [conversation.conversationId, conversation]));
    expect([...byId.keys()].sort()).toEqual(['C100', 'C100:1709283600.000100', 'C200', 'D0DM1']);
    expect(texts(byId.get('C100:1709283600.000100')!.messages)).toEqual([
      'How do I rotate the API key?',
      'Go to Settings, then Keys, then Rotate.',
      'Thanks, that worked.',
    ]);
    expect(texts(byId.get('C100')!.messages)).toEqual(['Is the office open on Friday?', 'Yes, from 9 to 5.']);
    expect(texts(byId.get('C200')!.messages)).toEqual(['Lunch at noon today?', 'Sure, see you there.']);
  });

  it('counts skipped messages per reason', () => {
    const recording = readPaths([join(FIXTURES, 'slack-tiny')]);
    expect(Object.fromEntries(recording.skipped)).toEqual({ channel_join: 1, bot_message: 1, file_share_without_text: 1 });
    expect(recording.skippedTotal()).toBe(3);
  });

  it('marks direct messages and workspace', () => {
    const recording = readPaths([join(FIXTURES, 'slack-tiny')]);
    const direct = recording.conversations.filter((conversation) => conversation.isDirectMessage);
    expect(direct.map((conversation) => conversation.conversationId)).toEqual(['D0DM1']);
    for (const conversation of recording.conversations) {
      expect(conversation.platform).toBe('slack');
      expect(conversation.workspaceId).toBe('slack-tiny');
    }
  });

  it('reads message times from ts', () => {
    const recording = readPaths([join(FIXTURES, 'slack-tiny')]);
    const thread = recording.conversations.find((conversation) => conversation.conversationId === 'C100:1709283600.000100')!;
    expect(thread.messages[0]!.at.toISOString()).toBe('2024-03-01T09:00:00.000Z');
    expect(thread.messages[0]!.authorId).toBe('U1');
  });

  it('keeps the comment of a legacy upload', () => {
    directory = mkdtempSync(join(tmpdir(), 'replay-slack-'));
    const channel = join(directory, 'general');
    writeFileSync(join(directory, 'channels.json'), JSON.stringify([{ id: 'C1', name: 'general' }]));
    mkdirSync(channel);
    writeFileSync(
      join(channel, '2015-06-09.json'),
      JSON.stringify([
        {
          type: 'message',
          subtype: 'file_share',
          user: 'U1',
          text: '<@U1|ann> uploaded a file: <https://example.com/f|chart.png> and commented: Is this axis right?',
          ts: '1433860772.000005',
        },
        { type: 'message', subtype: 'file_comment', comment: { user: 'U2', comment: 'Start it at zero.' }, text: 'x', ts: '1433860800.000001' },
      ]),
    );
    const recording = readPaths([directory]);
    expect(recording.conversations).toHaveLength(1);
    expect(texts(recording.conversations[0]!.messages)).toEqual(['Is this axis right?', 'Start it at zero.']);
    expect(recording.conversations[0]!.messages[1]!.authorId).toBe('U2');
  });
});

describe('DiscordChatExporter reader', () => {
  it('reads a channel and a thread', () => {
    const recording = readPaths([join(FIXTURES, 'discord-tiny-channel.json'), join(FIXTURES, 'discord-tiny-thread.json')]);
    expect(recording.problems).toEqual([]);
    expect(recording.conversations.map((conversation) => conversation.conversationId)).toEqual(['900000000000000100', '900000000000000200']);
    const [channel, thread] = recording.conversations;
    expect(texts(channel!.messages)).toEqual([
      'My build fails with error E42. Any idea?',
      'Which version of the CLI are you on?',
      'I had the same problem last week.',
      'Version 3.1.0.',
      'Upgrade to 3.2, it fixes E42.',
    ]);
    expect(texts(thread!.messages)).toEqual(['Did the upgrade help?', 'Yes, the build is green now.']);
    expect(channel!.workspaceId).toBe('900000000000000001');
    expect(channel!.isDirectMessage).toBe(false);
  });

  it('counts skipped messages per reason', () => {
    const recording = readPaths([join(FIXTURES, 'discord-tiny-channel.json')]);
    expect(Object.fromEntries(recording.skipped)).toEqual({
      guild_member_join: 1,
      bot_message: 1,
      attachment_without_text: 1,
      thread_created: 1,
    });
  });

  it('reads a folder of export files', () => {
    directory = mkdtempSync(join(tmpdir(), 'replay-discord-'));
    for (const name of ['discord-tiny-channel.json', 'discord-tiny-thread.json']) {
      copyFileSync(join(FIXTURES, name), join(directory, name));
    }
    const recording = readPaths([directory]);
    expect(recording.conversations).toHaveLength(2);
    expect(recording.filesRead).toBe(2);
  });
});

describe('recorded answers', () => {
  it('prefer an explicit reply', () => {
    const recording = readPaths([join(FIXTURES, 'discord-tiny-channel.json')]);
    const answers = pickAnswers(recording.conversations[0]!.messages).map((answer) => answer?.text);
    expect(answers).toEqual([
      'Which version of the CLI are you on?',
      // Ann's reply names this question, so it wins over Cid's message in between.
      'Version 3.1.0.',
      'Version 3.1.0.',
      'Upgrade to 3.2, it fixes E42.',
      undefined,
    ]);
  });

  it('skip messages by the same author', () => {
    const at = new Date(0);
    const messages: RecordedMessage[] = [
      { id: '1', authorId: 'A', text: 'one', at },
      { id: '2', authorId: 'A', text: 'two', at },
      { id: '3', authorId: 'B', text: 'three', at },
      { id: '4', authorId: 'B', text: 'four', at },
    ];
    expect(pickAnswers(messages).map((answer) => answer?.text)).toEqual(['three', 'three', undefined, undefined]);
  });

  it('order turns by recorded time', () => {
    const recording = readPaths([join(FIXTURES, 'slack-tiny')]);
    const turns = buildTurns(recording.conversations);
    expect(turns).toHaveLength(9);
    const times = turns.map((turn) => turn.message.at.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(turns.filter((turn) => turn.answer === undefined)).toHaveLength(4);
  });
});
