import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { readRegistrationSettings, registerCommands, runRegistration } from '../../src/discord/registration.js';
import { APPLICATION_ID, DiscordStandIn, GUILD_ID } from './discord-stand-in.js';

const MANAGE_GUILD = String(1 << 5);

/** Collects what a command line writes. */
class Output {
  text = '';
  write(chunk: string) {
    this.text += chunk;
    return true;
  }
}

let discord: DiscordStandIn;
let apiUrl: string;

beforeAll(async () => {
  discord = new DiscordStandIn();
  apiUrl = await discord.start();
});

afterEach(() => {
  discord.hook = undefined;
});

afterAll(async () => {
  await discord.stop();
});

describe('discord command registration', () => {
  it('registers per guild when DISCORD_GUILD_ID is set', async () => {
    const result = await registerCommands({ token: 'stand-in-bot-token', applicationId: APPLICATION_ID, guildId: GUILD_ID, apiUrl });

    expect(result).toEqual({ scope: 'guild', guildId: GUILD_ID, commands: ['stats', 'optimize', 'model'] });
    const call = discord.calls.at(-1)!;
    expect(call.method).toBe('PUT');
    expect(call.path).toBe(`/applications/${APPLICATION_ID}/guilds/${GUILD_ID}/commands`);
    const model = (call.body as any[]).find((command) => command.name === 'model');
    expect(model.default_member_permissions).toBe(MANAGE_GUILD);
    expect(model.options).toEqual([
      expect.objectContaining({ type: 3, name: 'name', required: false, autocomplete: true }),
    ]);
    expect(model.contexts).toBeUndefined();
    const stats = (call.body as any[]).find((command) => command.name === 'stats');
    expect(stats.default_member_permissions).toBeUndefined();
  });

  it('registers globally without DISCORD_GUILD_ID', async () => {
    const result = await registerCommands({ token: 'stand-in-bot-token', applicationId: APPLICATION_ID, apiUrl });

    expect(result.scope).toBe('global');
    const call = discord.calls.at(-1)!;
    expect(call.path).toBe(`/applications/${APPLICATION_ID}/commands`);
    const model = (call.body as any[]).find((command) => command.name === 'model');
    // Guild context only (0); /stats and /optimize also work in the bot's DMs (1).
    expect(model.contexts).toEqual([0]);
    expect((call.body as any[]).find((command) => command.name === 'stats').contexts).toEqual([0, 1]);
  });

  it('says which scope it used', async () => {
    const output = new Output();
    const errors = new Output();
    const env = { DISCORD_TOKEN: 'stand-in-bot-token', DISCORD_APPLICATION_ID: APPLICATION_ID, DISCORD_API_URL: apiUrl };

    expect(await runRegistration({ ...env, DISCORD_GUILD_ID: GUILD_ID }, output, errors)).toBe(0);
    expect(output.text).toContain(`in guild ${GUILD_ID}`);
    expect(await runRegistration(env, output, errors)).toBe(0);
    expect(output.text).toContain('globally');
    expect(errors.text).toBe('');
  });

  it('names the missing variables', () => {
    expect(() => readRegistrationSettings({})).toThrow(/Missing DISCORD_TOKEN and DISCORD_APPLICATION_ID/);
    expect(() => readRegistrationSettings({ DISCORD_TOKEN: 'x' })).toThrow(/Missing DISCORD_APPLICATION_ID:/);
    expect(() => readRegistrationSettings({ DISCORD_APPLICATION_ID: APPLICATION_ID })).toThrow(/Missing DISCORD_TOKEN:/);
  });

  it('rejects malformed ids and URLs', () => {
    const base = { DISCORD_TOKEN: 'x', DISCORD_APPLICATION_ID: APPLICATION_ID };
    expect(() => readRegistrationSettings({ ...base, DISCORD_APPLICATION_ID: 'my-app' })).toThrow(/Invalid DISCORD_APPLICATION_ID="my-app"/);
    expect(() => readRegistrationSettings({ ...base, DISCORD_GUILD_ID: 'general' })).toThrow(/Invalid DISCORD_GUILD_ID="general"/);
    expect(() => readRegistrationSettings({ ...base, DISCORD_API_URL: 'ftp://x' })).toThrow(/Invalid DISCORD_API_URL="ftp:\/\/x"/);
  });

  it('explains a rejected token', async () => {
    discord.hook = () => ({ status: 401, body: { message: '401: Unauthorized', code: 0 } });
    const errors = new Output();
    const env = { DISCORD_TOKEN: 'wrong-token', DISCORD_APPLICATION_ID: APPLICATION_ID, DISCORD_API_URL: apiUrl };

    expect(await runRegistration(env, new Output(), errors)).toBe(1);
    expect(errors.text).toContain('Discord rejected DISCORD_TOKEN');
    expect(errors.text).not.toContain('wrong-token');
  });

  it('explains a guild the bot is not in', async () => {
    discord.hook = () => ({ status: 403, body: { message: 'Missing Access', code: 50001 } });

    await expect(
      registerCommands({ token: 'stand-in-bot-token', applicationId: APPLICATION_ID, guildId: GUILD_ID, apiUrl }),
    ).rejects.toThrow(/applications\.commands scope/);
  });

  it('runs as npm run discord:register', async () => {
    const run = promisify(execFile);
    const { stdout } = await run('node_modules/.bin/tsx', ['src/discord/register.ts'], {
      env: { ...process.env, DISCORD_TOKEN: 'stand-in-bot-token', DISCORD_APPLICATION_ID: APPLICATION_ID, DISCORD_GUILD_ID: GUILD_ID, DISCORD_API_URL: apiUrl },
      timeout: 15_000,
    });
    expect(stdout).toContain(`Registered /stats, /optimize, /model in guild ${GUILD_ID}`);
  });

  it('exits with status 2 when settings are missing', async () => {
    const run = promisify(execFile);
    const failure = await run('node_modules/.bin/tsx', ['src/discord/register.ts'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DOTENV_CONFIG_PATH: '/nonexistent/.env' },
      timeout: 15_000,
    }).catch((error: { code: number; stderr: string }) => error);
    expect((failure as { code: number }).code).toBe(2);
    expect((failure as { stderr: string }).stderr).toContain('Missing DISCORD_TOKEN and DISCORD_APPLICATION_ID');
  });
});
