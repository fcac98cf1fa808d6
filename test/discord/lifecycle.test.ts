import { afterEach, describe, expect, it } from 'vitest';

import { startDiscord } from '../../src/discord/discord-adapter.js';
import { type Harness, startHarness } from '../support/frugal-harness.js';
import { BOT_ID, BOT_USER, CHANNEL_ID, DiscordStandIn } from './discord-stand-in.js';
import { type DiscordTest, messagePayload, startDiscordTest } from './discord-test-setup.js';

describe('discord adapter lifecycle', () => {
  let discord: DiscordStandIn;
  let harness: Harness;

  async function start(configure: (standIn: DiscordStandIn) => void = () => undefined) {
    discord = new DiscordStandIn();
    configure(discord);
    const apiUrl = await discord.start();
    harness = await startHarness({ DISCORD_TOKEN: 'stand-in-bot-token', DISCORD_API_URL: apiUrl });
  }

  afterEach(async () => {
    await discord.stop();
    await harness.close();
  });

  it('explains a disallowed MessageContent intent', async () => {
    await start((standIn) => {
      standIn.identifyCloseCode = 4014;
    });

    await expect(startDiscord(harness.frugal)).rejects.toThrow(/Message Content Intent/);
    expect(discord.identifies.length).toBe(1);
  });

  it('explains an invalid token', async () => {
    await start((standIn) => {
      standIn.hook = (call) => (call.path === '/gateway/bot' ? { status: 401, body: { message: '401: Unauthorized', code: 0 } } : undefined);
    });

    const failure = startDiscord(harness.frugal);
    await expect(failure).rejects.toThrow(/Discord rejected DISCORD_TOKEN as invalid/);
    await expect(failure).rejects.not.toThrow(/stand-in-bot-token/);
  });

  it('answers heartbeats and closes the gateway on stop', async () => {
    await start((standIn) => {
      standIn.heartbeatIntervalMs = 100;
    });
    const adapter = await startDiscord(harness.frugal);
    await discord.waitUntil(() => (discord.heartbeatAcks >= 2 ? true : undefined), 'two heartbeats');
    expect(discord.connectionCount).toBe(1);

    await adapter.stop();
    await discord.waitUntil(() => (discord.connectionCount === 0 ? true : undefined), 'the gateway connection to close');
    expect(harness.logs.withMessage('discord disconnected').length).toBe(1);
    expect(harness.logs.withMessage('discord gateway reconnecting')).toEqual([]);
  });
});

describe('discord typing indicator', () => {
  let test: DiscordTest;

  afterEach(async () => {
    await test.close();
  });

  it('renews typing while the model works and stops after', async () => {
    test = await startDiscordTest({}, 40);
    test.harness.openai.behaviour = { delayMs: 400 };
    const id = '1400000000000000501';
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content: `<@${BOT_ID}> how are refunds handled?`, mentions: [BOT_USER] }));

    const reply = await test.discord.waitForCall((call) => call.body?.message_reference?.message_id === id, 'the reply');
    const typing = () => test.discord.calls.filter((call) => call.path === `/channels/${CHANNEL_ID}/typing`);
    expect(typing().length).toBeGreaterThanOrEqual(3);
    for (const call of typing()) expect(call.seq).toBeLessThan(reply.seq);

    // Five more intervals: a timer left running would post typing again in this time.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(typing().every((call) => call.seq < reply.seq)).toBe(true);
  });
});
