import { join } from 'node:path';

import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { EMPTY_ANSWER_REPLY, EMPTY_MESSAGE_REPLY, MODEL_UNAVAILABLE_REPLY } from '../../src/core/chat-session.js';
import { costPico } from '../../src/core/pricing.js';
import type { IncomingMessage } from '../../src/core/types.js';
import { type Harness, startHarness } from '../support/frugal-harness.js';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function message(text: string, overrides: Partial<IncomingMessage> = {}): IncomingMessage {
  return {
    platform: 'slack',
    workspaceId: 'T1',
    conversationId: 'C1:1700000000.000100',
    userId: 'U1',
    text,
    isDirectMessage: false,
    ...overrides,
  };
}

function ledgerRows(h: Harness) {
  return (h.frugal.store.ledger as unknown as { db: import('better-sqlite3').Database }).db
    .prepare('SELECT * FROM ledger ORDER BY id')
    .all() as Record<string, unknown>[];
}

describe('ChatSession history window', () => {
  it('keeps turn 100 within the budget with system prompt and current message', async () => {
    harness = await startHarness({ CHAT_CONTEXT_WINDOW: '6', CHAT_MAX_CONTEXT_TOKENS: '400', CHAT_ENABLE_CACHE: 'false' });
    const h = harness;
    h.openai.behaviour.reply = (request) => `Answer number ${request.messages.length} with a few words of explanation.`;
    for (let turn = 1; turn <= 100; turn++) {
      const reply = await h.frugal.session.handle(message(`Question ${turn}: how do I configure feature ${turn}?`));
      expect(reply.kind).toBe('answer');
    }
    const last = h.openai.requests.at(-1)!;
    expect(last.messages[0]).toEqual({ role: 'system', content: h.frugal.config.chat.systemPrompt });
    expect(last.messages.at(-1)).toEqual({ role: 'user', content: 'Question 100: how do I configure feature 100?' });
    expect(last.messages.length).toBe(1 + 6 + 1);

    const rows = ledgerRows(h);
    expect(rows).toHaveLength(100);
    const turn6 = rows[5]!.prompt_tokens as number;
    const turn100 = rows[99]!.prompt_tokens as number;
    expect(turn100).toBeLessThanOrEqual(400);
    expect(Math.abs(turn100 - turn6)).toBeLessThanOrEqual(10);

    const stored = await h.frugal.session.history.all('slack:T1:C1:1700000000.000100');
    expect(stored).toHaveLength(200);
  });

  it('stops the window at the token budget before the message count', async () => {
    harness = await startHarness({ CHAT_CONTEXT_WINDOW: '50', CHAT_MAX_CONTEXT_TOKENS: '300', CHAT_ENABLE_CACHE: 'false' });
    const h = harness;
    h.openai.behaviour.reply = () => 'word '.repeat(40).trim();
    for (let turn = 1; turn <= 10; turn++) await h.frugal.session.handle(message(`Tell me about topic number ${turn}, please`));
    for (const row of ledgerRows(h)) expect(row.prompt_tokens as number).toBeLessThanOrEqual(300);
    const last = h.openai.requests.at(-1)!;
    expect(last.messages.length).toBeLessThan(1 + 18 + 1);
    expect(last.messages.at(-1)!.content).toBe('Tell me about topic number 10, please');
  });

  it('rejects a message larger than the budget without a model call', async () => {
    harness = await startHarness({ CHAT_MAX_CONTEXT_TOKENS: '200' });
    const h = harness;
    const reply = await h.frugal.session.handle(message('please read this '.repeat(100)));
    expect(reply.kind).toBe('notice');
    expect(reply.text).toMatch(/too long: one message can use at most \d+ tokens here/);
    expect(reply.text).toContain('CHAT_MAX_CONTEXT_TOKENS is 200');
    expect(h.openai.attemptCount).toBe(0);
    expect(ledgerRows(h)[0]!.outcome).toBe('too_long');
  });

  it('rejects a megabyte paste without counting all of it', async () => {
    harness = await startHarness();
    const h = harness;
    const reply = await h.frugal.session.handle(message('x'.repeat(1_000_000)));
    expect(reply.kind).toBe('notice');
    expect(reply.text).toContain('too long');
    expect(h.openai.attemptCount).toBe(0);
  });

  it('rejects a long paste before scanning it', async () => {
    harness = await startHarness();
    const h = harness;
    const reply = await h.frugal.session.handle(message(`${'lorem ipsum '.repeat(100_000)} mail jane.doe@example.com`));
    expect(reply.text).toContain('too long');
    const [line] = h.logs.withMessage('turn finished');
    expect(line!.outcome).toBe('too_long');
    expect(line).not.toHaveProperty('sensitive');
    expect(h.logs.withMessage('turn started')).toHaveLength(0);
  });

  it('accepts a message exactly at the budget', async () => {
    harness = await startHarness({ CHAT_MAX_CONTEXT_TOKENS: '200', CHAT_ENABLE_CACHE: 'false' });
    const h = harness;
    const counter = (await import('../../src/core/tokens.js')).tokenCounterFor('gpt-4o-mini');
    const fixed = 3 + counter.countMessage({ role: 'system', content: h.frugal.config.chat.systemPrompt });
    const words: string[] = [];
    while (counter.countMessage({ role: 'user', content: words.join(' ') }) < 200 - fixed) words.push('word');
    const text = words.join(' ');
    expect(counter.countMessage({ role: 'user', content: text }) + fixed).toBe(200);
    expect((await h.frugal.session.handle(message(text))).kind).toBe('answer');
    expect((await h.frugal.session.handle(message(`${text} word`, { conversationId: 'other' }))).kind).toBe('notice');
  });

  it('answers an empty mention with a hint and no model call', async () => {
    harness = await startHarness();
    const h = harness;
    const reply = await h.frugal.session.handle(message('<@UBOT>  ', { botMentions: ['<@UBOT>'] }));
    expect(reply).toEqual({ kind: 'notice', text: EMPTY_MESSAGE_REPLY, costUsd: 0 });
    expect(h.openai.attemptCount).toBe(0);
  });

  it('answers an invisible message with a hint', async () => {
    harness = await startHarness();
    const h = harness;
    for (const text of ['\u0000\u0000', '\u200b', '\u007f']) {
      expect(await h.frugal.session.handle(message(text))).toEqual({ kind: 'notice', text: EMPTY_MESSAGE_REPLY, costUsd: 0 });
    }
    expect(h.openai.attemptCount).toBe(0);
    expect(ledgerRows(h)).toHaveLength(0);
  });

  it('strips the bot mention before the model sees the text', async () => {
    harness = await startHarness();
    const h = harness;
    await h.frugal.session.handle(message('<@UBOT> how do I rotate keys &amp; tokens?', { botMentions: ['<@UBOT>'] }));
    expect(h.openai.requests[0]!.messages.at(-1)!.content).toBe('how do I rotate keys & tokens?');
  });
});

describe('ChatSession routing', () => {
  it('sends simple, complex and default turns to their models and limits', async () => {
    harness = await startHarness({ CHAT_DEFAULT_MODEL: 'gpt-4.1-mini', CHAT_ENABLE_CACHE: 'false' });
    const h = harness;
    await h.frugal.session.handle(message('thanks!', { conversationId: 'a' }));
    await h.frugal.session.handle(message('Compare the Basic and Pro plans for a team of 40', { conversationId: 'b' }));
    await h.frugal.session.handle(message('How do I export my invoices?', { conversationId: 'c' }));
    const [simple, complex, fallback] = h.openai.requests;
    expect([simple!.model, simple!.max_tokens]).toEqual(['gpt-4o-mini', 150]);
    expect([complex!.model, complex!.max_tokens]).toEqual(['gpt-4o', 500]);
    expect([fallback!.model, fallback!.max_tokens]).toEqual(['gpt-4.1-mini', 300]);
    expect(ledgerRows(h).map((row) => row.route_reason)).toEqual(['rule:thanks', 'rule:analysis', 'no-rule']);
  });

  it('sends configured models by canonical name', async () => {
    harness = await startHarness({ CHAT_CHEAP_MODEL: 'GPT-4O-MINI', CHAT_STRONG_MODEL: 'GPT-4o', CHAT_ENABLE_CACHE: 'false' });
    const h = harness;
    await h.frugal.session.handle(message('thanks!', { conversationId: 'a' }));
    await h.frugal.session.handle(message('Compare the Basic and Pro plans for a team of 40', { conversationId: 'b' }));
    expect(h.openai.requests.map((request) => request.model)).toEqual(['gpt-4o-mini', 'gpt-4o']);
    expect(ledgerRows(h).map((row) => row.model)).toEqual(['gpt-4o-mini', 'gpt-4o']);
  });

  it('uses the workspace model pinned with /model on the next turn', async () => {
    harness = await startHarness({ CHAT_ENABLE_CACHE: 'false' });
    const h = harness;
    const set = await h.frugal.commands.run({
      platform: 'slack',
      workspaceId: 'T1',
      userId: 'UADMIN',
      name: 'model',
      args: 'gpt-4.1',
      isPlatformAdmin: true,
    });
    expect(set).toContain('now uses gpt-4.1');
    await h.frugal.session.handle(message('hello'));
    await h.frugal.session.handle(message('hello', { workspaceId: 'T2' }));
    expect(h.openai.requests[0]!.model).toBe('gpt-4.1');
    expect(h.openai.requests[0]!.max_tokens).toBe(150);
    expect(h.openai.requests[1]!.model).toBe('gpt-4o-mini');
    expect(ledgerRows(h)[0]!.route_reason).toBe('workspace-pinned;rule:greeting');
  });
});

describe('ChatSession answer cache', () => {
  it('answers a repeated first question from the cache', async () => {
    harness = await startHarness();
    const h = harness;
    const first = await h.frugal.session.handle(message('How do I reset my password?', { conversationId: 'one' }));
    const second = await h.frugal.session.handle(message('  how do I reset my PASSWORD  ', { conversationId: 'two', userId: 'U2' }));
    expect(first.kind).toBe('answer');
    expect(second.kind).toBe('cache_hit');
    expect(second.text).toBe(first.text);
    expect(second.costUsd).toBe(0);
    expect(h.openai.attemptCount).toBe(1);
    const rows = ledgerRows(h);
    expect(rows[1]!.cache_hit).toBe(1);
    expect(rows[1]!.cost_pico).toBe(0);
    expect(rows[1]!.avoided_pico).toBe(rows[0]!.cost_pico);
    expect(rows[0]!.cost_pico as number).toBeGreaterThan(0);
  });

  it('answers a cached question asked later in a conversation', async () => {
    harness = await startHarness();
    const h = harness;
    await h.frugal.session.handle(message('What are your opening hours?', { conversationId: 'one' }));
    await h.frugal.session.handle(message('I have a billing problem', { conversationId: 'two' }));
    const later = await h.frugal.session.handle(message('what are your opening hours', { conversationId: 'two' }));
    expect(later.kind).toBe('cache_hit');
    expect(h.openai.attemptCount).toBe(2);
  });

  it('does not store answers from turns with earlier history', async () => {
    harness = await startHarness();
    const h = harness;
    await h.frugal.session.handle(message('I use the Pro plan', { conversationId: 'one' }));
    await h.frugal.session.handle(message('How many seats do I get?', { conversationId: 'one' }));
    const fresh = await h.frugal.session.handle(message('How many seats do I get?', { conversationId: 'two' }));
    expect(fresh.kind).toBe('answer');
    expect(h.openai.attemptCount).toBe(3);
  });

  it('never returns one workspace an answer cached by another', async () => {
    harness = await startHarness();
    const h = harness;
    await h.frugal.session.handle(message('What is our VPN address?', { workspaceId: 'T1', conversationId: 'x' }));
    const other = await h.frugal.session.handle(message('What is our VPN address?', { workspaceId: 'T2', conversationId: 'x' }));
    const otherPlatform = await h.frugal.session.handle(
      message('What is our VPN address?', { platform: 'discord', workspaceId: 'T1', conversationId: 'x' }),
    );
    expect(other.kind).toBe('answer');
    expect(otherPlatform.kind).toBe('answer');
    expect(h.openai.attemptCount).toBe(3);
  });

  it('skips the cache for sensitive turns', async () => {
    harness = await startHarness();
    const h = harness;
    const dm = { isDirectMessage: true };
    await h.frugal.session.handle(message('How do I close my account?', { ...dm, conversationId: 'dm1' }));
    const again = await h.frugal.session.handle(message('How do I close my account?', { ...dm, conversationId: 'dm2' }));
    expect(again.kind).toBe('answer');
    const emailed = 'Why was jane.doe@example.com charged twice?';
    await h.frugal.session.handle(message(emailed, { conversationId: 'p1' }));
    const repeated = await h.frugal.session.handle(message(emailed, { conversationId: 'p2' }));
    expect(repeated.kind).toBe('answer');
    expect(h.openai.attemptCount).toBe(4);
    for (const line of h.logs.raw) {
      expect(line).not.toContain('jane.doe@example.com');
      expect(line).not.toContain('close my account');
    }
    const rows = ledgerRows(h);
    expect(rows.every((row) => row.question_hash === null)).toBe(true);
  });

  it.each([
    ['an AWS secret key', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['a full-width e-mail address', 'why did john＠example.com get no invoice?'],
    ['a French phone number', 'rappelez-moi au 06 12 34 56 78'],
  ])('neither logs nor caches %s', async (_kind, text) => {
    harness = await startHarness();
    const h = harness;
    await h.frugal.session.handle(message(text, { conversationId: 'p1' }));
    const repeated = await h.frugal.session.handle(message(text, { conversationId: 'p2' }));
    expect(repeated.kind).toBe('answer');
    expect(h.openai.attemptCount).toBe(2);
    expect(h.logs.raw.join('\n')).not.toContain(text);
    expect(h.logs.withMessage('turn finished').map((line) => line.sensitive)).toEqual([true, true]);
    expect(ledgerRows(h).every((row) => row.question_hash === null)).toBe(true);
  });

  it('caches DMs when DM_SENSITIVE is off', async () => {
    harness = await startHarness({ DM_SENSITIVE: 'false' });
    const h = harness;
    await h.frugal.session.handle(message('How do I close my account?', { isDirectMessage: true, conversationId: 'dm1' }));
    const again = await h.frugal.session.handle(message('How do I close my account?', { isDirectMessage: true, conversationId: 'dm2' }));
    expect(again.kind).toBe('cache_hit');
  });

  it('expires answers after the TTL', async () => {
    harness = await startHarness({ CHAT_CACHE_TTL_SECONDS: '1' });
    const h = harness;
    await h.frugal.session.handle(message('Where is the status page?', { conversationId: 'one' }));
    const soon = await h.frugal.session.handle(message('Where is the status page?', { conversationId: 'two' }));
    expect(soon.kind).toBe('cache_hit');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const late = await h.frugal.session.handle(message('Where is the status page?', { conversationId: 'three' }));
    expect(late.kind).toBe('answer');
  });

  it('evicts the oldest answer beyond the size bound', async () => {
    harness = await startHarness({ CHAT_CACHE_MAX_SIZE: '2' });
    const h = harness;
    for (const [i, question] of ['first question here', 'second question here', 'third question here'].entries()) {
      await h.frugal.session.handle(message(question, { conversationId: `fill${i}` }));
    }
    expect((await h.frugal.session.handle(message('third question here', { conversationId: 'q3' }))).kind).toBe('cache_hit');
    expect((await h.frugal.session.handle(message('second question here', { conversationId: 'q2' }))).kind).toBe('cache_hit');
    expect((await h.frugal.session.handle(message('first question here', { conversationId: 'q1' }))).kind).toBe('answer');
  });

  it('does not cache an answer cut at the output limit', async () => {
    harness = await startHarness({ CHAT_MAX_TOKENS_DEFAULT: '5' });
    const h = harness;
    h.openai.behaviour.reply = () => 'This answer is much longer than five tokens, so it gets cut.';
    await h.frugal.session.handle(message('Tell me about the data retention policy', { conversationId: 'one' }));
    const again = await h.frugal.session.handle(message('Tell me about the data retention policy', { conversationId: 'two' }));
    expect(again.kind).toBe('answer');
    expect(ledgerRows(h)[0]!.finish_reason).toBe('length');
  });
});

describe('ChatSession costs and ledger', () => {
  it('bills cached prompt tokens at the cached-input price', async () => {
    const longPrompt = `You are a support assistant for Example Corp. ${'Policy: answer politely and briefly. '.repeat(150)}`;
    harness = await startHarness({ CHAT_SYSTEM_PROMPT: longPrompt, CHAT_ENABLE_CACHE: 'false' });
    const h = harness;
    await h.frugal.session.handle(message('How do I add a user?', { conversationId: 'a' }));
    await h.frugal.session.handle(message('How do I remove a user?', { conversationId: 'b' }));
    const [first, second] = ledgerRows(h);
    expect(first!.cached_tokens).toBe(0);
    expect(second!.cached_tokens as number).toBeGreaterThanOrEqual(1024);
    const price = h.frugal.session.prices.require('gpt-4o-mini');
    for (const row of [first!, second!]) {
      const usage = {
        promptTokens: row.prompt_tokens as number,
        cachedTokens: row.cached_tokens as number,
        completionTokens: row.completion_tokens as number,
      };
      expect(row.cost_pico).toBe(costPico(price, usage));
    }
    // Same prompt size, but the cached part billed at half the input price.
    expect(second!.cost_pico as number).toBeLessThan(first!.cost_pico as number);
  });

  it('keeps exact totals after 1,000 concurrent turns', async () => {
    harness = await startHarness({ CHAT_ENABLE_CACHE: 'false' });
    const h = harness;
    const replies = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        h.frugal.session.handle(message(`Question ${i} about invoices`, { conversationId: `c${i % 50}`, userId: `U${i % 20}` })),
      ),
    );
    expect(replies.every((reply) => reply.kind === 'answer')).toBe(true);
    const rows = ledgerRows(h);
    expect(rows).toHaveLength(1000);
    const sum = rows.reduce((total, row) => total + (row.cost_pico as number), 0);
    const now = new Date();
    const totals = await h.frugal.store.ledger.workspaceTotals('slack:T1', now);
    expect(totals.total.turns).toBe(1000);
    expect(totals.total.costPico).toBe(sum);
    expect(totals.today.costPico).toBe(sum);
    expect((await h.frugal.store.ledger.sumOfUsers('slack:T1', 'all')).costPico).toBe(sum);
    const replySum = replies.reduce((total, reply) => total + reply.costUsd, 0);
    expect(replySum).toBeCloseTo(sum / 1e12, 12);
  });
});

describe('ChatSession model failures', () => {
  it('replies that the model is unavailable on HTTP 500', async () => {
    harness = await startHarness();
    const h = harness;
    h.openai.behaviour.failWithStatus = 500;
    const reply = await h.frugal.session.handle(message('How do I export data?'));
    expect(reply.kind).toBe('model_error');
    expect(reply.text).toBe(MODEL_UNAVAILABLE_REPLY);
    expect(reply.costUsd).toBe(0);
    const [row] = ledgerRows(h);
    expect(row!.outcome).toBe('model_error');
    expect(row!.cost_pico).toBe(0);
    const [failure] = h.logs.withMessage('model call failed');
    expect((failure!.err as { message: string }).message).toContain('HTTP 500');
  });

  it('replies that the model is unavailable on a timeout', async () => {
    harness = await startHarness({ OPENAI_TIMEOUT_MS: '200' });
    const h = harness;
    h.openai.behaviour.delayMs = 1500;
    const reply = await h.frugal.session.handle(message('How do I export data?'));
    expect(reply.kind).toBe('model_error');
    expect(h.logs.withMessage('model call failed')).toHaveLength(1);
    // A failed turn leaves no history, so the next turn starts clean.
    expect(await h.frugal.session.history.all('slack:T1:C1:1700000000.000100')).toHaveLength(0);
  });

  it('retries a failed call with the SDK retry policy', async () => {
    harness = await startHarness({ OPENAI_MAX_RETRIES: '2' });
    const h = harness;
    h.openai.behaviour.failWithStatus = 503;
    await h.frugal.session.handle(message('How do I export data?'));
    expect(h.openai.attemptCount).toBe(3);
  });

  it('counts usage itself when the server reports none', async () => {
    harness = await startHarness();
    const h = harness;
    h.openai.behaviour.omitUsage = true;
    const reply = await h.frugal.session.handle(message('How do I export data?'));
    expect(reply.kind).toBe('answer');
    const [row] = ledgerRows(h);
    expect(row!.prompt_tokens as number).toBeGreaterThan(0);
    expect(row!.completion_tokens as number).toBeGreaterThan(0);
  });
});

describe('ChatSession empty answers', () => {
  it.each([
    ['empty content', ''],
    ['blank content', ' \n '],
  ])('replies with a notice on %s', async (_case, answer) => {
    harness = await startHarness();
    const h = harness;
    h.openai.behaviour.reply = () => answer;
    const reply = await h.frugal.session.handle(message('How do I export data?'));
    expect(reply).toMatchObject({ kind: 'answer', text: EMPTY_ANSWER_REPLY, model: 'gpt-4o-mini' });
    expect(reply.costUsd).toBeGreaterThan(0);
    const [row] = ledgerRows(h);
    expect(row!.outcome).toBe('empty_answer');
    expect(row!.prompt_tokens as number).toBeGreaterThan(0);
    expect(row!.cost_pico as number).toBeGreaterThan(0);
    expect(await h.frugal.session.history.all('slack:T1:C1:1700000000.000100')).toEqual([]);
    expect(h.logs.withMessage('turn finished')[0]).toMatchObject({ outcome: 'empty_answer', model: 'gpt-4o-mini', requestId: 'req_1' });
  });

  it('keeps an empty answer out of the next request', async () => {
    harness = await startHarness();
    const h = harness;
    h.openai.behaviour.reply = () => '';
    await h.frugal.session.handle(message('How do I export data?'));
    h.openai.behaviour.reply = () => 'Use the export page.';
    const reply = await h.frugal.session.handle(message('How do I export data?'));
    expect(reply).toMatchObject({ kind: 'answer', text: 'Use the export page.' });
    expect(h.openai.requests[1]!.messages.map((entry) => entry.role)).toEqual(['system', 'user']);
  });

  it('bills the reported usage of a completion without choices', async () => {
    harness = await startHarness();
    const h = harness;
    const usage = { prompt_tokens: 40, completion_tokens: 0, total_tokens: 40 };
    h.openai.behaviour.rawResponse = { contentType: 'application/json', body: JSON.stringify({ id: 'x', choices: [], usage }) };
    const reply = await h.frugal.session.handle(message('How do I export data?'));
    expect(reply.text).toBe(EMPTY_ANSWER_REPLY);
    const [row] = ledgerRows(h);
    expect(row!.outcome).toBe('empty_answer');
    expect(row!.prompt_tokens).toBe(40);
  });

  it.each([
    ['an HTML page', 'text/html', '<html><body>502 Bad Gateway</body></html>'],
    ['a null body', 'application/json', 'null'],
    ['content that is not text', 'application/json', '{"choices": [{"message": {"content": 5}}]}'],
  ])('replies with a notice on %s', async (_case, contentType, body) => {
    harness = await startHarness();
    const h = harness;
    h.openai.behaviour.rawResponse = { contentType, body };
    const reply = await h.frugal.session.handle(message('How do I export data?'));
    expect(reply.text).toBe(EMPTY_ANSWER_REPLY);
    expect(ledgerRows(h)[0]!.outcome).toBe('empty_answer');
  });
});

describe('ChatSession invalid usage', () => {
  const counts = { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 };
  it.each([
    ['negative counts', { ...counts, prompt_tokens: -20 }],
    ['string counts', { ...counts, completion_tokens: '5' }],
    ['null counts', { ...counts, prompt_tokens: null }],
    ['fractional counts', { ...counts, completion_tokens: 2.5 }],
    ['cached above prompt', { ...counts, prompt_tokens_details: { cached_tokens: 21 } }],
    ['negative cached', { ...counts, prompt_tokens_details: { cached_tokens: -1 } }],
  ])('records an estimate for %s', async (_case, usage) => {
    harness = await startHarness();
    const h = harness;
    h.openai.behaviour.usage = usage;
    const reply = await h.frugal.session.handle(message('How do I export data?'));
    expect(reply.kind).toBe('answer');
    const [row] = ledgerRows(h);
    expect(row!.prompt_tokens as number).toBeGreaterThan(0);
    expect(row!.completion_tokens as number).toBeGreaterThan(0);
    expect(row!.cached_tokens).toBe(0);
    expect(row!.cost_pico as number).toBeGreaterThan(0);
    const [warning] = h.logs.withMessage('model reported invalid usage; the turn is billed on estimated tokens');
    expect(warning).toMatchObject({ model: 'gpt-4o-mini', requestId: 'req_1' });
    const [line] = h.logs.withMessage('turn finished');
    expect(line!.recorded).toBe(true);
    expect(typeof line!.costUsd).toBe('number');
  });

  it('keeps valid reported usage', async () => {
    harness = await startHarness();
    const h = harness;
    h.openai.behaviour.usage = { ...counts, prompt_tokens_details: { cached_tokens: 0 } };
    await h.frugal.session.handle(message('How do I export data?'));
    const [row] = ledgerRows(h);
    expect(row!.prompt_tokens).toBe(20);
    expect(row!.completion_tokens).toBe(5);
    expect(h.logs.withMessage('model reported invalid usage; the turn is billed on estimated tokens')).toHaveLength(0);
  });
});

describe('ChatSession store failures', () => {
  it('returns a paid answer when the history write fails', async () => {
    harness = await startHarness();
    const h = harness;
    h.openai.behaviour.reply = () => {
      const values = new BetterSqlite3(join(h.directory, 'frugal.sqlite'));
      values.exec('DROP TABLE keyv');
      values.close();
      return 'Here is the export guide.';
    };
    const reply = await h.frugal.session.handle(message('How do I export data?'));
    expect(reply.kind).toBe('answer');
    expect(reply.text).toBe('Here is the export guide.');
    expect(ledgerRows(h)).toHaveLength(1);
    expect(h.logs.withMessage('history write failed')).toHaveLength(1);
    expect(h.logs.withMessage('answer cache write failed')).toHaveLength(1);
  });

  it('logs the figures when the ledger write fails', async () => {
    harness = await startHarness();
    const h = harness;
    const ledger = new BetterSqlite3(join(h.directory, 'frugal.ledger.sqlite'));
    ledger.exec('DROP TABLE ledger_totals');
    ledger.close();
    const reply = await h.frugal.session.handle(message('How do I export data?'));
    expect(reply.kind).toBe('answer');
    expect(h.logs.withMessage('ledger write failed')).toHaveLength(1);
    const [line] = h.logs.withMessage('turn finished');
    expect(line!.recorded).toBe(false);
    expect(line!.promptTokens as number).toBeGreaterThan(0);
  });

  it('rejects the turn when the store cannot be read', async () => {
    harness = await startHarness();
    const h = harness;
    const values = new BetterSqlite3(join(h.directory, 'frugal.sqlite'));
    values.exec('DROP TABLE keyv');
    values.close();
    await expect(h.frugal.session.handle(message('How do I export data?'))).rejects.toThrow(/no such table/);
    expect(h.openai.attemptCount).toBe(0);
  });
});

describe('ChatSession logging', () => {
  it('logs one turn line with ids and figures and no secrets', async () => {
    harness = await startHarness();
    const h = harness;
    await h.frugal.session.handle(message('How do I export data?'));
    const [line] = h.logs.withMessage('turn finished');
    expect(line).toMatchObject({
      platform: 'slack',
      workspace: 'slack:T1',
      conversation: 'C1:1700000000.000100',
      user: 'U1',
      model: 'gpt-4o-mini',
      route: 'no-rule',
      cacheHit: false,
    });
    expect(line!.promptTokens as number).toBeGreaterThan(0);
    expect(line!.completionTokens as number).toBeGreaterThan(0);
    expect(typeof line!.costUsd).toBe('number');
    expect(typeof line!.latencyMs).toBe('number');
    expect(h.logs.raw.join('\n')).not.toContain('sk-test-key-for-the-stand-in');
    expect(h.openai.requests[0]!.headers.authorization).toBe('Bearer sk-test-key-for-the-stand-in');
  });
});
