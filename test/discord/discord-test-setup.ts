import { readFileSync } from 'node:fs';

import type { RunningAdapter } from '../../src/index.js';
import { startDiscord } from '../../src/discord/discord-adapter.js';
import { type Harness, startHarness } from '../support/frugal-harness.js';
import { APPLICATION_ID, BOT_USER, CHANNEL_ID, DiscordStandIn, GUILD_ID, type RecordedCall } from './discord-stand-in.js';

const examples = JSON.parse(readFileSync(new URL('../fixtures/discord-gateway-payload-examples.json', import.meta.url), 'utf8'));

export const ALICE = { id: '1100000000000000002', username: 'alice', discriminator: '0', global_name: 'Alice', avatar: null };
export const BOB = { id: '1100000000000000003', username: 'bob', discriminator: '0', global_name: 'Bob', avatar: null };
export const OTHER_BOT = { id: '1100000000000000004', username: 'helper-bot', discriminator: '0', global_name: null, avatar: null, bot: true };

/** Permission bits of an ordinary member: View Channel, Send Messages, Read Message History, Use Application Commands. */
export const MEMBER_PERMISSIONS = ((1n << 10n) | (1n << 11n) | (1n << 16n) | (1n << 31n)).toString();
/** An ordinary member's permissions plus Manage Server. */
export const MANAGE_GUILD_PERMISSIONS = (BigInt(MEMBER_PERMISSIONS) | (1n << 5n)).toString();

type User = typeof ALICE | typeof OTHER_BOT;

export interface MessageOptions {
  id: string;
  content: string;
  author?: User;
  channelId?: string;
  /** False for a direct message, which has no guild and no member. */
  inGuild?: boolean;
  mentions?: User[];
  mentionRoles?: string[];
  mentionEveryone?: boolean;
  /** The message this one replies to, with its author. */
  replyTo?: { id: string; author: User; content?: string };
  attachments?: unknown[];
}

/** Builds a MESSAGE_CREATE payload from Discord's documented message object example. */
export function messagePayload(options: MessageOptions): Record<string, unknown> {
  const base = structuredClone(examples.message_object_example.payload) as Record<string, unknown>;
  delete base.reactions;
  const author = options.author ?? ALICE;
  const inGuild = options.inGuild ?? true;
  const payload: Record<string, unknown> = {
    ...base,
    id: options.id,
    channel_id: options.channelId ?? CHANNEL_ID,
    content: options.content,
    author,
    timestamp: new Date().toISOString(),
    mentions: (options.mentions ?? []).map((user) => (inGuild ? { ...user, member: guildMember() } : user)),
    mention_roles: options.mentionRoles ?? [],
    mention_everyone: options.mentionEveryone ?? false,
    attachments: options.attachments ?? [],
    type: options.replyTo ? 19 : 0,
  };
  if (inGuild) {
    payload.guild_id = GUILD_ID;
    payload.member = guildMember();
  } else {
    payload.channel_type = 1;
  }
  if (options.replyTo) {
    payload.message_reference = { type: 0, channel_id: payload.channel_id, message_id: options.replyTo.id, ...(inGuild ? { guild_id: GUILD_ID } : {}) };
    payload.referenced_message = {
      ...base,
      id: options.replyTo.id,
      channel_id: payload.channel_id,
      author: options.replyTo.author,
      content: options.replyTo.content ?? 'an earlier message',
      mentions: [],
    };
  }
  return payload;
}

function guildMember(permissions?: string) {
  return {
    roles: [],
    joined_at: '2026-01-05T10:00:00.000000+00:00',
    deaf: false,
    mute: false,
    flags: 0,
    ...(permissions ? { permissions } : {}),
  };
}

export interface CommandOptions {
  id: string;
  name: string;
  user?: User;
  permissions?: string;
  /** The `name` option of /model. */
  model?: string;
  /** True for an autocomplete request on /model's option, with `model` as the typed text. */
  autocomplete?: boolean;
}

/** Builds an INTERACTION_CREATE payload from Discord's documented slash command example. */
export function interactionPayload(options: CommandOptions): Record<string, unknown> {
  const base = structuredClone(examples.interaction_create_slash_command_example.payload) as Record<string, any>;
  const user = options.user ?? ALICE;
  const modelOption =
    options.model === undefined ? [] : [{ type: 3, name: 'name', value: options.model, ...(options.autocomplete ? { focused: true } : {}) }];
  return {
    ...base,
    id: options.id,
    token: `interaction-token-${options.id}`,
    type: options.autocomplete ? 4 : 2,
    application_id: APPLICATION_ID,
    guild_id: GUILD_ID,
    channel_id: CHANNEL_ID,
    channel: { id: CHANNEL_ID, type: 0, guild_id: GUILD_ID, name: 'support' },
    member: { ...base.member, user, permissions: options.permissions ?? MEMBER_PERMISSIONS },
    data: { id: '1600000000000000001', name: options.name, type: 1, options: modelOption },
    entitlements: [],
    authorizing_integration_owners: { '0': GUILD_ID },
    context: 0,
    version: 1,
  };
}

export interface DiscordTest {
  harness: Harness;
  discord: DiscordStandIn;
  adapter: RunningAdapter;
  close(): Promise<void>;
}

/** Starts the OpenAI stand-in, a Frugal core, the Discord stand-in and the real adapter logged in to it. */
export async function startDiscordTest(env: Record<string, string> = {}, typingIntervalMs?: number): Promise<DiscordTest> {
  const discord = new DiscordStandIn();
  const apiUrl = await discord.start();
  const harness = await startHarness({ DISCORD_TOKEN: 'stand-in-bot-token', DISCORD_API_URL: apiUrl, ...env });
  let adapter: RunningAdapter;
  try {
    adapter = await startDiscord(harness.frugal, { typingIntervalMs });
  } catch (error) {
    await harness.close();
    await discord.stop();
    throw error;
  }
  return {
    harness,
    discord,
    adapter,
    async close() {
      await adapter.stop();
      await discord.stop();
      await harness.close();
    },
  };
}

/** Returns the calls that post or edit a message: channel messages, interaction edits and follow-ups. */
export function outgoingMessages(calls: readonly RecordedCall[]): RecordedCall[] {
  return calls.filter(
    (call) =>
      (call.method === 'POST' && /^\/channels\/\d+\/messages$/.test(call.path)) ||
      (call.method === 'PATCH' && /^\/webhooks\//.test(call.path)) ||
      (call.method === 'POST' && /^\/webhooks\//.test(call.path)),
  );
}

export { BOT_USER };
