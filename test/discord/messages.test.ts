import { join } from 'node:path';

import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { TURN_FAILED_REPLY } from '../../src/discord/message-handler.js';

import { BOT_ID, BOT_ROLE_ID, BOT_USER, CHANNEL_ID, DM_CHANNEL_ID, GUILD_ID, OTHER_CHANNEL_ID, OWNER_ID, STAFF_ROLE_ID, THREAD_ID } from './discord-stand-in.js';
import { ALICE, BOB, type DiscordTest, messagePayload, OTHER_BOT, outgoingMessages, startDiscordTest } from './discord-test-setup.js';

let test: DiscordTest;
let nextId = 1_400_000_000_000_000_000n;

/** Returns a fresh message id, increasing like Discord's snowflakes. */
function messageId(): string {
  nextId += 1n;
  return nextId.toString();
}

/** Waits for the bot's reply to a message and returns its body. */
async function replyTo(id: string, channelId = CHANNEL_ID) {
  const call = await test.discord.waitForCall(
    (call) => call.path === `/channels/${channelId}/messages` && call.body?.message_reference?.message_id === id,
    `the reply to ${id}`,
  );
  // The adapter records the reply's ids for reply chains after Discord answered the post.
  await test.discord.waitUntil(
    () => test.harness.logs.withMessage('discord reply sent').find((line) => line.message === id),
    `the end of the turn of ${id}`,
  );
  return call;
}

/** Waits for the adapter's debug line saying why it ignored a message. */
function ignoredReason(id: string): Promise<unknown> {
  return test.discord.waitUntil(
    () => test.harness.logs.withMessage('discord message ignored').find((line) => line.message === id)?.reason,
    `the ignore log line of ${id}`,
  );
}

function callsMentioning(id: string) {
  return test.discord.calls.filter((call) => JSON.stringify(call.body ?? {}).includes(id));
}

beforeAll(async () => {
  // Output limits high enough that the stand-in model's long answers are not cut.
  test = await startDiscordTest({ CHAT_MAX_TOKENS_SIMPLE: '2000', CHAT_MAX_TOKENS_DEFAULT: '2000', CHAT_MAX_TOKENS_COMPLEX: '2000' });
});

afterEach(() => {
  test.discord.hook = undefined;
  test.harness.openai.behaviour = {};
});

afterAll(async () => {
  await test.close();
});

describe('discord gateway handshake', () => {
  it('connects with JSON encoding and the needed intents', () => {
    expect(test.discord.gatewayQueries[0]?.get('v')).toBe('10');
    expect(test.discord.gatewayQueries[0]?.get('encoding')).toBe('json');
    expect(test.discord.gatewayQueries[0]?.has('compress')).toBe(false);
    const intents = test.discord.identifies[0]?.intents as number;
    // Guilds (1), GuildMessages (512), DirectMessages (4096), MessageContent (32768).
    expect(intents).toBe(1 | 512 | 4096 | 32768);
    expect(test.discord.identifies[0]?.token).toBe('stand-in-bot-token');
  });
});

describe('discord mentions', () => {
  it('answers a mention as a reply', async () => {
    const id = messageId();
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content: `<@${BOT_ID}> how do I export my invoices?`, mentions: [BOT_USER] }));

    const reply = await replyTo(id);
    expect(reply.body.content).toBe('You asked: how do I export my invoices?');
    expect(reply.body.allowed_mentions).toEqual({ parse: [], replied_user: true });
    const request = test.harness.openai.requests.at(-1)!;
    expect(request.messages.at(-1)).toEqual({ role: 'user', content: 'how do I export my invoices?' });
    const typing = test.discord.calls.find((call) => call.path === `/channels/${CHANNEL_ID}/typing`);
    expect(typing).toBeDefined();
    expect(typing!.seq).toBeLessThan(reply.seq);
  });

  it('answers the nickname mention form', async () => {
    const id = messageId();
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content: `<@!${BOT_ID}> which plans include SSO?`, mentions: [BOT_USER] }));

    const reply = await replyTo(id);
    expect(reply.body.content).toBe('You asked: which plans include SSO?');
  });

  it("answers a mention of the bot's role", async () => {
    const id = messageId();
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content: `<@&${BOT_ROLE_ID}> where are the API keys?`, mentionRoles: [BOT_ROLE_ID] }));

    const reply = await replyTo(id);
    expect(reply.body.content).toBe('You asked: where are the API keys?');
  });

  it('leaves a mention of another role alone', async () => {
    const id = messageId();
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content: `<@&${STAFF_ROLE_ID}> can someone help?`, mentionRoles: [STAFF_ROLE_ID] }));

    expect(await ignoredReason(id)).toBe('not-addressed');
  });

  it('replaces other user mentions with names', async () => {
    const id = messageId();
    const content = `<@${BOT_ID}> can <@${BOB.id}> see the billing page?`;
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content, mentions: [BOT_USER, BOB] }));

    const reply = await replyTo(id);
    expect(reply.body.content).toBe('You asked: can @Bob see the billing page?');
  });

  it('continues a reply chain without a new mention', async () => {
    const first = messageId();
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id: first, content: `<@${BOT_ID}> my workspace is called Acme`, mentions: [BOT_USER] }));
    const answer = await replyTo(first);
    const answerId = answer.response.id as string;

    const second = messageId();
    test.discord.dispatch(
      'MESSAGE_CREATE',
      messagePayload({ id: second, content: 'what is my workspace called?', replyTo: { id: answerId, author: BOT_USER } }),
    );
    await replyTo(second);
    const request = test.harness.openai.requests.at(-1)!;
    expect(request.messages.map((message) => message.content)).toEqual([
      expect.any(String),
      'my workspace is called Acme',
      'You asked: my workspace is called Acme',
      'what is my workspace called?',
    ]);
  });

  it('leaves channel messages without a mention alone', async () => {
    const id = messageId();
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content: 'does anyone know the wifi password?' }));

    expect(await ignoredReason(id)).toBe('not-addressed');
    expect(callsMentioning(id)).toEqual([]);
  });
});

describe('discord threads', () => {
  it('answers follow-ups in a thread with its history', async () => {
    const first = messageId();
    test.discord.dispatch(
      'MESSAGE_CREATE',
      messagePayload({ id: first, channelId: THREAD_ID, content: `<@${BOT_ID}> my order is 123`, mentions: [BOT_USER] }),
    );
    await replyTo(first, THREAD_ID);

    const second = messageId();
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id: second, channelId: THREAD_ID, content: 'what is my order number?' }));
    const reply = await replyTo(second, THREAD_ID);

    expect(reply.body.content).toBe('You asked: what is my order number?');
    const request = test.harness.openai.requests.at(-1)!;
    expect(request.messages.slice(1)).toEqual([
      { role: 'user', content: 'my order is 123' },
      { role: 'assistant', content: 'You asked: my order is 123' },
      { role: 'user', content: 'what is my order number?' },
    ]);
  });

  it('skips thread messages addressed to someone else', async () => {
    const id = messageId();
    test.discord.dispatch(
      'MESSAGE_CREATE',
      messagePayload({ id, channelId: THREAD_ID, content: `<@${BOB.id}> can you ship it today?`, mentions: [BOB] }),
    );

    expect(await ignoredReason(id)).toBe('addressed-to-others');
    expect(callsMentioning(id)).toEqual([]);
  });

  it('skips thread replies to someone else', async () => {
    const id = messageId();
    test.discord.dispatch(
      'MESSAGE_CREATE',
      messagePayload({ id, channelId: THREAD_ID, content: 'thanks, that worked', replyTo: { id: messageId(), author: BOB } }),
    );

    expect(await ignoredReason(id)).toBe('addressed-to-others');
  });

  it('needs a mention in a thread the bot is not in', async () => {
    const threadId = '1300000000000000099';
    test.discord.dispatch('THREAD_CREATE', {
      id: threadId,
      type: 11,
      guild_id: GUILD_ID,
      parent_id: CHANNEL_ID,
      owner_id: OWNER_ID,
      name: 'unrelated',
      message_count: 0,
      member_count: 1,
      rate_limit_per_user: 0,
      flags: 0,
      newly_created: true,
      thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false },
    });
    const id = messageId();
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, channelId: threadId, content: 'lunch at noon?' }));

    expect(await ignoredReason(id)).toBe('thread-without-bot');
  });
});

describe('discord direct messages', () => {
  it('answers a DM as a sensitive turn', async () => {
    const id = messageId();
    const content = 'can you look at invoice 5531 for me?';
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, channelId: DM_CHANNEL_ID, inGuild: false, content }));

    const reply = await replyTo(id, DM_CHANNEL_ID);
    expect(reply.body.content).toBe(`You asked: ${content}`);
    const finished = test.harness.logs.withMessage('turn finished').find((line) => line.conversation === DM_CHANNEL_ID);
    expect(finished?.workspace).toBe('discord:dm');
    expect(finished?.sensitive).toBe(true);
    expect(test.harness.logs.raw.some((line) => line.includes('invoice 5531'))).toBe(false);
  });
});

describe('discord messages that are ignored', () => {
  it('ignores another bot mentioning it', async () => {
    const id = messageId();
    const requests = test.harness.openai.requests.length;
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, author: OTHER_BOT, content: `<@${BOT_ID}> ping`, mentions: [BOT_USER] }));

    expect(await ignoredReason(id)).toBe('bot-author');
    expect(callsMentioning(id)).toEqual([]);
    expect(test.harness.openai.requests.length).toBe(requests);
  });

  it('ignores its own messages', async () => {
    const id = messageId();
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, author: BOT_USER, content: `<@${BOT_ID}> echo`, mentions: [BOT_USER] }));

    expect(await ignoredReason(id)).toBe('bot-author');
  });

  it('ignores pings of @everyone and @here only', async () => {
    for (const content of ['@everyone the release is out', '@here standup in five minutes']) {
      const id = messageId();
      test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content, mentionEveryone: true }));
      expect(await ignoredReason(id)).toBe('broadcast-only');
    }
  });

  it('ignores @everyone in a thread it takes part in', async () => {
    const id = messageId();
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, channelId: THREAD_ID, content: '@everyone status?', mentionEveryone: true }));

    expect(await ignoredReason(id)).toBe('broadcast-only');
  });

  it('warns about the MessageContent intent when content is empty', async () => {
    const id = messageId();
    const requests = test.harness.openai.requests.length;
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content: '', mentions: [BOT_USER] }));

    const warning = await test.discord.waitUntil(
      () => test.harness.logs.lines.find((line) => line.level === 40 && line.message === id),
      'the missing intent warning',
    );
    expect(warning.msg).toContain('MessageContent');
    expect(test.harness.openai.requests.length).toBe(requests);
    expect(callsMentioning(id)).toEqual([]);
  });
});

describe('discord output', () => {
  it('splits a long answer without breaking its code block', async () => {
    const code = Array.from({ length: 52 }, (_, i) => `  const step${i} = await runStep(${i}); // step ${i}`).join('\n');
    const answer = `Try this:\n\n\`\`\`ts\nasync function main() {\n${code}\n}\n\`\`\`\n\nThen run it again.`;
    expect(answer.length).toBeGreaterThan(2400);
    expect(answer.length).toBeLessThan(2600);
    test.harness.openai.behaviour = { reply: () => answer };
    const id = messageId();
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content: `<@${BOT_ID}> write the migration loop for me`, mentions: [BOT_USER] }));

    const first = await replyTo(id);
    const second = await test.discord.waitForCall(
      (call) => call.seq > first.seq && call.path === `/channels/${CHANNEL_ID}/messages`,
      'the second part',
    );
    const parts = [first.body.content as string, second.body.content as string];
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(2000);
    expect(parts[0]!.endsWith('\n```')).toBe(true);
    expect(parts[1]!.startsWith('```ts\n')).toBe(true);
    expect(parts[1]!.endsWith('Then run it again.')).toBe(true);
    expect(parts[0]!.slice(0, -4) + '\n' + parts[1]!.slice('```ts\n'.length)).toBe(answer);
    expect(second.body.message_reference).toBeUndefined();
    expect(second.body.allowed_mentions).toEqual({ parse: [] });
  });

  it('sends an answer with a long fence line', async () => {
    test.harness.openai.behaviour = { reply: () => '```sh ' + 'curl -d x '.repeat(200) + '\n' + 'echo ok\n'.repeat(300) };
    const id = messageId();
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content: `<@${BOT_ID}> give me the curl command`, mentions: [BOT_USER] }));

    const first = await replyTo(id);
    const parts = test.discord.messagesIn(CHANNEL_ID).filter((call) => call.seq >= first.seq);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part.body.content.length).toBeLessThanOrEqual(2000);
      expect(part.body.content.startsWith('```sh\n')).toBe(true);
    }
  });

  it('never lets model output ping anyone', async () => {
    test.harness.openai.behaviour = { reply: () => `@everyone @here <@&${GUILD_ID}> <@${ALICE.id}> look at this` };
    const id = messageId();
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content: `<@${BOT_ID}> say something loud`, mentions: [BOT_USER] }));

    const reply = await replyTo(id);
    expect(reply.body.allowed_mentions.parse).toEqual([]);
    expect(reply.body.allowed_mentions.users).toBeUndefined();
    expect(reply.body.allowed_mentions.roles).toBeUndefined();
  });

  it('sets allowed mentions on every outgoing message', () => {
    const outgoing = outgoingMessages(test.discord.calls);
    expect(outgoing.length).toBeGreaterThanOrEqual(10);
    for (const call of outgoing) expect(call.body.allowed_mentions?.parse, `${call.method} ${call.path}`).toEqual([]);
  });
});

describe('discord deliveries', () => {
  it('answers a replayed message once', async () => {
    const id = messageId();
    const payload = messagePayload({ id, content: `<@${BOT_ID}> replayed after a resume`, mentions: [BOT_USER] });
    test.discord.dispatch('MESSAGE_CREATE', payload);
    test.discord.dispatch('MESSAGE_CREATE', payload);
    await replyTo(id);
    test.discord.dispatch('MESSAGE_CREATE', payload);
    // Gateway events are handled in order, so once a later message is answered the replays were seen.
    const later = messageId();
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id: later, content: `<@${BOT_ID}> a later question`, mentions: [BOT_USER] }));
    await replyTo(later);
    expect(test.discord.calls.filter((call) => call.body?.message_reference?.message_id === id)).toHaveLength(1);
  });

  it('gives a bare mention the hint without a model call', async () => {
    const id = messageId();
    const requests = test.harness.openai.requests.length;
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content: `<@${BOT_ID}>   `, mentions: [BOT_USER] }));
    const reply = await replyTo(id);
    expect(reply.body.content).toBe('Ask me a question and I will answer it here.');
    expect(test.harness.openai.requests.length).toBe(requests);
  });

  it('answers after a gateway reconnect', async () => {
    const connections = test.discord.gatewayQueries.length;
    const resumes = test.discord.resumes;
    // 4000 (unknown error) is resumable: discord.js reconnects and resumes the session.
    test.discord.closeConnections(4000, 'Unknown error');
    await test.discord.waitUntil(() => (test.discord.gatewayQueries.length > connections ? true : undefined), 'a new connection');
    await test.discord.waitUntil(() => (test.discord.resumes > resumes ? true : undefined), 'the resumed session');

    const id = messageId();
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content: `<@${BOT_ID}> are you back?`, mentions: [BOT_USER] }));
    const reply = await replyTo(id);
    expect(reply.body.content).toBe('You asked: are you back?');
    expect(test.harness.logs.withMessage('discord gateway reconnecting').length).toBeGreaterThan(0);
  });

  it('keeps DM text out of the log when sending fails', async () => {
    const id = messageId();
    const content = 'my card is declined and my password is hunter2-zebra';
    test.discord.hook = (call) =>
      call.path === `/channels/${DM_CHANNEL_ID}/messages` ? { status: 500, body: { message: 'Internal Server Error', code: 0 } } : undefined;
    test.harness.openai.behaviour = { failWithStatus: 500 };
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, channelId: DM_CHANNEL_ID, inGuild: false, content }));
    await test.discord.waitUntil(
      () => test.harness.logs.withMessage('discord reply failed').find((line) => line.message === id),
      'the reply failure',
    );
    expect(test.harness.logs.raw.some((line) => line.includes('hunter2-zebra'))).toBe(false);
  });
});

describe('discord errors', () => {
  it('logs a missing access error and keeps answering', async () => {
    test.discord.hook = (call) =>
      call.path === `/channels/${OTHER_CHANNEL_ID}/messages`
        ? { status: 403, body: { message: 'Missing Access', code: 50001 } }
        : undefined;
    const blocked = messageId();
    test.discord.dispatch(
      'MESSAGE_CREATE',
      messagePayload({ id: blocked, channelId: OTHER_CHANNEL_ID, content: `<@${BOT_ID}> is the API down?`, mentions: [BOT_USER] }),
    );
    const failure = await test.discord.waitUntil(
      () => test.harness.logs.withMessage('discord reply failed').find((line) => line.message === blocked),
      'the reply failure log line',
    );
    expect(failure.channel).toBe(OTHER_CHANNEL_ID);
    expect((failure.error as { code: number }).code).toBe(50001);
    expect(JSON.stringify(failure)).not.toContain('is the API down');

    const next = messageId();
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id: next, content: `<@${BOT_ID}> and the dashboard?`, mentions: [BOT_USER] }));
    await replyTo(next);
  });

  it('logs a rate limit and delivers the reply after it', async () => {
    let limited = false;
    test.discord.hook = (call) => {
      if (limited || call.method !== 'POST' || call.path !== `/channels/${CHANNEL_ID}/messages`) return undefined;
      limited = true;
      return {
        status: 429,
        body: { message: 'You are being rate limited.', retry_after: 0.2, global: false, code: 0 },
        headers: {
          'retry-after': '0.2',
          'x-ratelimit-limit': '5',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset-after': '0.2',
          'x-ratelimit-bucket': 'stand-in-bucket',
          'x-ratelimit-scope': 'user',
        },
      };
    };
    const id = messageId();
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content: `<@${BOT_ID}> how long is the trial?`, mentions: [BOT_USER] }));

    const reply = await test.discord.waitForCall(
      (call) => call.body?.message_reference?.message_id === id && call.status === 200,
      'the retried reply',
    );
    const attempts = test.discord.calls.filter((call) => call.body?.message_reference?.message_id === id);
    expect(attempts.length).toBe(2);
    expect(reply.body.content).toBe('You asked: how long is the trial?');
    const warning = test.harness.logs.withMessage('discord rate limited; the request waits and is retried').at(-1);
    expect(warning?.route).toBe('/channels/:id/messages');
    expect(warning?.majorParameter).toBe(CHANNEL_ID);
  });
});

describe('discord with a failing store', () => {
  let broken: DiscordTest;

  afterEach(async () => {
    await broken.close();
  });

  it('replies with a notice when the store fails', async () => {
    broken = await startDiscordTest();
    const values = new BetterSqlite3(join(broken.harness.directory, 'frugal.sqlite'));
    values.exec('DROP TABLE keyv');
    values.close();
    const id = messageId();
    broken.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content: `<@${BOT_ID}> is anyone there?`, mentions: [BOT_USER] }));

    const reply = await broken.discord.waitForCall((call) => call.body?.message_reference?.message_id === id, 'the failure reply');
    expect(reply.body.content).toBe(TURN_FAILED_REPLY);
    expect(reply.body.allowed_mentions).toEqual({ parse: [], replied_user: true });
    expect(broken.harness.openai.requests).toHaveLength(0);
    const failure = broken.harness.logs.withMessage('discord turn failed').find((line) => line.message === id);
    expect(failure).toMatchObject({ guild: GUILD_ID, channel: CHANNEL_ID, user: ALICE.id });
    expect(failure!.err).toBeDefined();
  });
});
