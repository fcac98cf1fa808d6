import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { commandFailedReply } from '../../src/discord/interaction-handler.js';
import { APPLICATION_ID, BOT_ID, BOT_USER, CHANNEL_ID, DM_CHANNEL_ID, GUILD_ID, type RecordedCall } from './discord-stand-in.js';
import {
  ALICE,
  BOB,
  type DiscordTest,
  interactionPayload,
  MANAGE_GUILD_PERMISSIONS,
  messagePayload,
  outgoingMessages,
  startDiscordTest,
} from './discord-test-setup.js';

const EPHEMERAL = 64;
const DEFERRED_CHANNEL_MESSAGE = 5;
const AUTOCOMPLETE_RESULT = 8;

let nextId = 1_700_000_000_000_000_000n;

function snowflake(): string {
  nextId += 1n;
  return nextId.toString();
}

const callbackPath = (id: string) => `/interactions/${id}/interaction-token-${id}/callback`;
const originalPath = (id: string) => `/webhooks/${APPLICATION_ID}/interaction-token-${id}/messages/@original`;
const followUpPath = (id: string) => `/webhooks/${APPLICATION_ID}/interaction-token-${id}`;

/** Sends a slash command and returns the edit of its deferred reply. */
async function runCommand(test: DiscordTest, options: Parameters<typeof interactionPayload>[0]): Promise<RecordedCall> {
  test.discord.dispatch('INTERACTION_CREATE', interactionPayload(options));
  return test.discord.waitForCall((call) => call.method === 'PATCH' && call.path === originalPath(options.id), `the reply to /${options.name}`);
}

function workspaceModel(test: DiscordTest): Promise<string | undefined> {
  return test.harness.frugal.session.settings.get(`discord:${GUILD_ID}`).then((settings) => settings.model);
}

describe('discord slash commands', () => {
  let test: DiscordTest;
  let pricesDirectory: string;

  beforeAll(async () => {
    // Forty self-hosted models with long names make the /model listing longer than one message.
    pricesDirectory = mkdtempSync(join(tmpdir(), 'frugal-prices-'));
    const prices = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`acme-support/fine-tuned-answer-model-${i}`, { input: 0.5, cached_input: 0.25, output: 1.5 }]),
    );
    const pricesFile = join(pricesDirectory, 'prices.json');
    writeFileSync(pricesFile, JSON.stringify(prices));
    test = await startDiscordTest({ ADMIN_USER_IDS: `discord:${BOB.id}`, CHAT_PRICES_FILE: pricesFile });
  });

  afterEach(async () => {
    test.discord.hook = undefined;
    test.harness.openai.behaviour = {};
    await test.harness.frugal.session.settings.update(`discord:${GUILD_ID}`, { model: undefined });
  });

  afterAll(async () => {
    await test.close();
    rmSync(pricesDirectory, { recursive: true, force: true });
  });

  it.each([
    ['stats', '**Your usage**'],
    ['optimize', ''],
    ['model', 'automatic routing'],
  ])('defers /%s before a slow model answers', async (name, expected) => {
    test.harness.openai.behaviour = { delayMs: 500 };
    const mention = snowflake();
    const attempts = test.harness.openai.attemptCount;
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id: mention, content: `<@${BOT_ID}> summarize the ${name} docs`, mentions: [BOT_USER] }));
    await test.discord.waitUntil(() => (test.harness.openai.attemptCount > attempts ? true : undefined), 'the model request');

    const id = snowflake();
    let answeredAtDefer: number | undefined;
    test.discord.hook = (call) => {
      if (call.path === callbackPath(id)) answeredAtDefer = test.discord.messagesIn(CHANNEL_ID).filter((m) => m.body.message_reference?.message_id === mention).length;
      return undefined;
    };
    const edit = await runCommand(test, { id, name });

    const callback = test.discord.calls.find((call) => call.path === callbackPath(id))!;
    expect(callback.body).toEqual({ type: DEFERRED_CHANNEL_MESSAGE, data: { flags: EPHEMERAL } });
    expect(answeredAtDefer).toBe(0);
    expect(callback.seq).toBeLessThan(edit.seq);
    expect(edit.body.content).toContain(expected);
    expect(edit.body.allowed_mentions).toEqual({ parse: [] });

    const answer = await test.discord.waitForCall((call) => call.body?.message_reference?.message_id === mention, 'the slow answer');
    expect(callback.seq).toBeLessThan(answer.seq);
  });

  it('rejects /model NAME from a member without Manage Server', async () => {
    const edit = await runCommand(test, { id: snowflake(), name: 'model', model: 'gpt-4o', user: ALICE });

    expect(edit.body.content).toContain('Only workspace admins can change the model');
    expect(edit.body.content).toContain(`discord:${ALICE.id}`);
    expect(await workspaceModel(test)).toBeUndefined();
  });

  it('lets a member with Manage Server set and reset the model', async () => {
    const set = await runCommand(test, { id: snowflake(), name: 'model', model: 'gpt-4o', permissions: MANAGE_GUILD_PERMISSIONS });
    expect(set.body.content).toContain('now uses gpt-4o');
    expect(await workspaceModel(test)).toBe('gpt-4o');

    const reset = await runCommand(test, { id: snowflake(), name: 'model', model: 'auto', permissions: MANAGE_GUILD_PERMISSIONS });
    expect(reset.body.content).toContain('back on automatic routing');
    expect(await workspaceModel(test)).toBeUndefined();
  });

  it('lets a user in ADMIN_USER_IDS set the model', async () => {
    const edit = await runCommand(test, { id: snowflake(), name: 'model', model: 'gpt-4o-mini', user: BOB });

    expect(edit.body.content).toContain('now uses gpt-4o-mini');
    expect(await workspaceModel(test)).toBe('gpt-4o-mini');
  });

  it('rejects an unknown model name with the known ones', async () => {
    const edit = await runCommand(test, { id: snowflake(), name: 'model', model: 'gpt-99', permissions: MANAGE_GUILD_PERMISSIONS });

    expect(edit.body.content).toContain('Unknown model "gpt-99"');
    expect(await workspaceModel(test)).toBeUndefined();
  });

  it('sends what does not fit in one message as ephemeral follow-ups', async () => {
    const id = snowflake();
    const edit = await runCommand(test, { id, name: 'model' });
    expect(edit.body.content.length).toBeLessThanOrEqual(2000);
    const parts = await test.discord.waitUntil(() => {
      const followUps = test.discord.calls.filter((call) => call.method === 'POST' && call.path === followUpPath(id));
      return followUps.length > 0 ? followUps : undefined;
    }, 'the follow-ups of /model');
    for (const part of parts) {
      expect(part.body.content.length).toBeLessThanOrEqual(2000);
      expect(part.body.flags).toBe(EPHEMERAL);
    }
    expect(parts.at(-1)!.body.content).toContain('/model auto');
  });

  it('completes model names from the price table', async () => {
    const id = snowflake();
    test.discord.dispatch('INTERACTION_CREATE', interactionPayload({ id, name: 'model', model: 'gpt-4o', autocomplete: true }));
    const callback = await test.discord.waitForCall((call) => call.path === callbackPath(id), 'the autocomplete answer');

    expect(callback.body.type).toBe(AUTOCOMPLETE_RESULT);
    const choices = callback.body.data.choices as { name: string; value: string }[];
    expect(choices.length).toBeGreaterThan(1);
    expect(choices.length).toBeLessThanOrEqual(25);
    expect(choices[0]).toEqual({ name: 'gpt-4o', value: 'gpt-4o' });
    expect(choices.map((choice) => choice.value)).toContain('gpt-4o-mini');
    for (const choice of choices) expect(choice.value).toContain('gpt-4o');
  });

  it('offers auto in the completions', async () => {
    const id = snowflake();
    test.discord.dispatch('INTERACTION_CREATE', interactionPayload({ id, name: 'model', model: 'au', autocomplete: true }));
    const callback = await test.discord.waitForCall((call) => call.path === callbackPath(id), 'the autocomplete answer');

    expect(callback.body.data.choices[0]).toEqual({ name: 'auto', value: 'auto' });
  });

  it('logs an interaction Discord no longer knows', async () => {
    const id = snowflake();
    test.discord.hook = (call) =>
      call.path === callbackPath(id) ? { status: 404, body: { message: 'Unknown interaction', code: 10062 } } : undefined;
    test.discord.dispatch('INTERACTION_CREATE', interactionPayload({ id, name: 'stats' }));

    const line = await test.discord.waitUntil(
      () => test.harness.logs.withMessage('discord command could not be acknowledged').find((entry) => entry.interaction === id),
      'the acknowledgement failure log line',
    );
    expect((line.error as { code: number }).code).toBe(10062);
    expect(JSON.stringify(line)).not.toContain(`interaction-token-${id}`);
    expect(test.discord.calls.filter((call) => call.path.includes(`interaction-token-${id}`)).length).toBe(1);
  });

  it('follows up when the deferred reply cannot be edited', async () => {
    const id = snowflake();
    test.discord.hook = (call) =>
      call.path === originalPath(id) ? { status: 400, body: { message: 'Invalid Form Body', code: 50035 } } : undefined;
    test.discord.dispatch('INTERACTION_CREATE', interactionPayload({ id, name: 'stats' }));

    const followUp = await test.discord.waitForCall((call) => call.method === 'POST' && call.path === followUpPath(id), 'the failure follow-up');
    expect(followUp.body.content).toBe(commandFailedReply('stats'));
    expect(followUp.body.flags).toBe(EPHEMERAL);
    expect(test.discord.calls.filter((call) => call.path === callbackPath(id)).length).toBe(1);
    const line = test.harness.logs.withMessage('discord command reply failed').find((entry) => entry.interaction === id);
    expect((line?.error as { path: string }).path).toBe(`/api/v10/webhooks/${APPLICATION_ID}/:token/messages/@original`);
  });

  it('answers an unknown command ephemerally', async () => {
    const id = snowflake();
    const edit = await runCommand(test, { id, name: 'refund' });
    expect(edit.body.content).toContain('Unknown command /refund');
    expect(test.discord.calls.filter((call) => call.path === callbackPath(id))).toHaveLength(1);
  });

  it('never replies twice to an expired token', async () => {
    const id = snowflake();
    test.discord.hook = (call) =>
      call.path.startsWith(`/webhooks/${APPLICATION_ID}/interaction-token-${id}`)
        ? { status: 404, body: { message: 'Unknown Webhook', code: 10015 } }
        : undefined;
    test.discord.dispatch('INTERACTION_CREATE', interactionPayload({ id, name: 'stats' }));
    await test.discord.waitUntil(
      () => test.harness.logs.withMessage('discord command failure follow-up failed').find((line) => line.interaction === id),
      'the follow-up failure',
    );
    expect(test.discord.calls.filter((call) => call.path === callbackPath(id))).toHaveLength(1);
    expect(test.discord.calls.filter((call) => call.method === 'POST' && call.path === followUpPath(id))).toHaveLength(1);
    expect(test.harness.logs.raw.some((line) => line.includes(`interaction-token-${id}`))).toBe(false);
  });

  it('runs /stats in a direct message', async () => {
    const id = snowflake();
    const payload = interactionPayload({ id, name: 'stats' });
    delete payload.guild_id;
    delete payload.member;
    payload.user = ALICE;
    payload.channel = { id: DM_CHANNEL_ID, type: 1 };
    payload.channel_id = DM_CHANNEL_ID;
    payload.context = 1;
    test.discord.dispatch('INTERACTION_CREATE', payload);
    const edit = await test.discord.waitForCall((call) => call.method === 'PATCH' && call.path === originalPath(id), 'the edit');
    expect(edit.body.content).toContain('Your usage');
  });

  it('waits out a 429 on the deferral', async () => {
    const id = snowflake();
    let limited = false;
    test.discord.hook = (call) => {
      if (limited || call.path !== callbackPath(id)) return undefined;
      limited = true;
      return {
        status: 429,
        body: { message: 'You are being rate limited.', retry_after: 0.3, global: false },
        headers: { 'retry-after': '0.3', 'x-ratelimit-scope': 'user' },
      };
    };
    const edit = await runCommand(test, { id, name: 'optimize' });
    expect(edit.body.allowed_mentions).toEqual({ parse: [] });
    expect(test.discord.calls.filter((call) => call.path === callbackPath(id))).toHaveLength(2);
  });

  it('sets allowed mentions on every command reply', () => {
    const outgoing = outgoingMessages(test.discord.calls).filter((call) => call.path.startsWith('/webhooks/'));
    expect(outgoing.length).toBeGreaterThanOrEqual(8);
    for (const call of outgoing) expect(call.body.allowed_mentions?.parse, `${call.method} ${call.path}`).toEqual([]);
  });
});

describe('discord slash commands with a failing store', () => {
  let test: DiscordTest;

  afterEach(async () => {
    await test.close();
  });

  /** Drops the store's tables from second connections, as a broken or replaced database file would. */
  function breakStore(): void {
    const values = new BetterSqlite3(join(test.harness.directory, 'frugal.sqlite'));
    values.exec('DROP TABLE keyv;');
    values.close();
    const ledger = new BetterSqlite3(join(test.harness.directory, 'frugal.ledger.sqlite'));
    ledger.exec('DROP TABLE ledger_totals; DROP TABLE ledger;');
    ledger.close();
  }

  it.each([
    ['stats', undefined],
    ['optimize', undefined],
    ['model', 'gpt-4o'],
  ])('edits the deferred /%s reply with the failure', async (name, model) => {
    test = await startDiscordTest();
    const id = snowflake();
    test.discord.hook = (call) => {
      if (call.path === callbackPath(id)) breakStore();
      return undefined;
    };
    const edit = await runCommand(test, { id, name, model, permissions: MANAGE_GUILD_PERMISSIONS });

    expect(edit.body.content).toBe(commandFailedReply(name));
    expect(test.discord.calls.filter((call) => call.path === callbackPath(id)).length).toBe(1);
    expect(test.discord.calls.filter((call) => call.path === followUpPath(id)).length).toBe(0);
    const line = test.harness.logs.withMessage('discord command failed').find((entry) => entry.interaction === id);
    expect(line?.command).toBe(name);
    expect(line?.guild).toBe(GUILD_ID);
  });
});
