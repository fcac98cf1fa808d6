import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { OpenAIStandIn } from '../support/openai-stand-in.js';
import { BOT_ID, BOT_USER, DiscordStandIn } from './discord-stand-in.js';
import { messagePayload } from './discord-test-setup.js';
import { type FrugalProcess, startFrugalProcess } from './frugal-process.js';

describe('frugal process with Discord', () => {
  let discord: DiscordStandIn;
  let openai: OpenAIStandIn;
  let frugal: FrugalProcess | undefined;

  beforeEach(() => {
    discord = new DiscordStandIn();
    openai = new OpenAIStandIn();
  });

  afterEach(async () => {
    frugal?.cleanup();
    await discord.stop();
    await openai.stop();
  });

  async function startProcess(): Promise<FrugalProcess> {
    const apiUrl = await discord.start();
    const baseUrl = await openai.start();
    frugal = startFrugalProcess({
      OPENAI_BASE_URL: baseUrl,
      OPENAI_API_KEY: 'sk-test-key-for-the-stand-in',
      DISCORD_TOKEN: 'stand-in-bot-token',
      DISCORD_API_URL: apiUrl,
    });
    return frugal;
  }

  it('exits with 0 on SIGTERM', async () => {
    const bot = await startProcess();
    await bot.waitForLine('discord connected');
    const id = '1900000000000000001';
    discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content: `<@${BOT_ID}> one question before you go`, mentions: [BOT_USER] }));
    await discord.waitForCall((call) => call.body?.message_reference?.message_id === id, 'the reply');
    bot.child.kill('SIGTERM');

    expect(await bot.exited(15_000)).toBe(0);
    expect(discord.connectionCount).toBe(0);
    expect(bot.lines.some((line) => line.msg === 'frugal stopped')).toBe(true);
    expect(bot.lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });

  it('exits with 1 after a fatal gateway close', async () => {
    const bot = await startProcess();
    await bot.waitForLine('discord connected');
    discord.closeConnections(4004, 'Authentication failed.');

    expect(await bot.exited(15_000)).toBe(1);
    const [closed] = bot.lines.filter((line) => line.msg === 'discord gateway disconnected and will not reconnect');
    expect(closed?.code).toBe(4004);
    expect(String(closed?.detail)).toContain('DISCORD_TOKEN');
    expect(bot.lines.some((line) => line.msg === 'adapter failed; stopping')).toBe(true);
    expect(bot.lines.some((line) => line.msg === 'frugal stopped')).toBe(true);
  });

  it('exits with 1 when the gateway fails at start', async () => {
    discord.gatewayUpgradeStatus = 404;
    const bot = await startProcess();

    expect(await bot.exited(15_000)).toBe(1);
    expect(bot.lines.some((line) => String(line.msg).includes('Discord failed to start: Could not connect to Discord'))).toBe(true);
    expect(bot.lines.filter((line) => line.msg === 'discord gateway error')).toHaveLength(1);
  });
});
