import { describe, expect, it } from 'vitest';

import type { ChatMessage } from '../../src/core/types.js';
import { PromptCacheEstimate, RecordedAnswerModel } from '../../src/replay/recorded-model.js';
import { firstTokens, messageTokens, tokens } from './support.js';

const message = (role: ChatMessage['role'], content: string): ChatMessage => ({ role, content });

const START = Date.parse('2024-01-01T10:00:00Z');
/** The time `minutes` after START. */
const minute = (minutes: number) => new Date(START + minutes * 60_000);

describe('PromptCacheEstimate', () => {
  const first = [message('system', 's'), message('user', 'a')];
  const second = [...first, message('assistant', 'b'), message('user', 'c')];

  it('rounds a long prefix down to 128', () => {
    const estimate = new PromptCacheEstimate();
    expect(estimate.cachedTokens('m', first, [700, 650], 1353, minute(0))).toBe(0);
    // 700 + 650 = 1,350 shared tokens, rounded down to 1,280.
    expect(estimate.cachedTokens('m', second, [700, 650, 50, 50], 1453, minute(0))).toBe(1280);
  });

  it('caches nothing below 1,024 shared tokens', () => {
    const estimate = new PromptCacheEstimate();
    estimate.cachedTokens('m', first, [500, 500], 1003, minute(0));
    expect(estimate.cachedTokens('m', second, [500, 500, 300, 300], 1603, minute(0))).toBe(0);
  });

  it('keeps prefixes per model', () => {
    const estimate = new PromptCacheEstimate();
    estimate.cachedTokens('m', first, [700, 600], 1303, minute(0));
    expect(estimate.cachedTokens('other', second, [700, 600, 50, 50], 1403, minute(0))).toBe(0);
  });

  it('stops at the first differing message', () => {
    const estimate = new PromptCacheEstimate();
    estimate.cachedTokens('m', [message('system', 's'), message('user', 'a'), message('user', 'x')], [600, 600, 600], 1803, minute(0));
    const request = [message('system', 's'), message('user', 'different'), message('user', 'x')];
    expect(estimate.cachedTokens('m', request, [600, 600, 600], 1803, minute(0))).toBe(0);
  });
});

describe('PromptCacheEstimate expiry', () => {
  // Hand count: the system and first user message bill 700 + 650 = 1,350 tokens, rounded down to
  // 1,280, and all four messages of `second` bill 1,450, rounded down to 1,408.
  const first = [message('system', 's'), message('user', 'a')];
  const firstTokens = [700, 650];
  const second = [...first, message('assistant', 'b'), message('user', 'c')];
  const secondTokens = [700, 650, 50, 50];

  it('caches a prefix within the limit', () => {
    const estimate = new PromptCacheEstimate(10);
    estimate.cachedTokens('m', first, firstTokens, 1353, minute(0));
    // Exactly 10 minutes of inactivity is still within the limit.
    expect(estimate.cachedTokens('m', second, secondTokens, 1453, minute(10))).toBe(1280);
  });

  it('expires a prefix past the limit', () => {
    const estimate = new PromptCacheEstimate(10);
    estimate.cachedTokens('m', first, firstTokens, 1353, minute(0));
    expect(estimate.cachedTokens('m', second, secondTokens, 1453, minute(11))).toBe(0);
  });

  it('refreshes a prefix on use', () => {
    const estimate = new PromptCacheEstimate(10);
    estimate.cachedTokens('m', first, firstTokens, 1353, minute(0));
    expect(estimate.cachedTokens('m', first, firstTokens, 1353, minute(8))).toBe(1280);
    // 16 minutes after the first use, but 8 after the last.
    expect(estimate.cachedTokens('m', second, secondTokens, 1453, minute(16))).toBe(1280);
  });

  it('refreshes only the shared part', () => {
    const estimate = new PromptCacheEstimate(10);
    estimate.cachedTokens('m', second, secondTokens, 1453, minute(0));
    estimate.cachedTokens('m', first, firstTokens, 1353, minute(8));
    // [s, a] was used at minute 8; [b, c] behind it was last used at minute 0.
    expect(estimate.cachedTokens('m', second, secondTokens, 1453, minute(16))).toBe(1280);
  });

  it('caches again after expiry', () => {
    const estimate = new PromptCacheEstimate(10);
    estimate.cachedTokens('m', second, secondTokens, 1453, minute(0));
    expect(estimate.cachedTokens('m', second, secondTokens, 1453, minute(20))).toBe(0);
    expect(estimate.cachedTokens('m', second, secondTokens, 1453, minute(21))).toBe(1408);
  });

  it('takes a longer limit', () => {
    const estimate = new PromptCacheEstimate(60);
    estimate.cachedTokens('m', first, firstTokens, 1353, minute(0));
    expect(estimate.cachedTokens('m', second, secondTokens, 1453, minute(45))).toBe(1280);
  });

  it('caches nothing at limit 0', () => {
    const estimate = new PromptCacheEstimate(0);
    expect(estimate.cachedTokens('m', second, secondTokens, 1453, minute(0))).toBe(0);
    expect(estimate.cachedTokens('m', second, secondTokens, 1453, minute(0))).toBe(0);
  });

  it('rejects a negative limit', () => {
    expect(() => new PromptCacheEstimate(-1)).toThrow(RangeError);
  });
});

describe('RecordedAnswerModel', () => {
  const request = (maxTokens: number) => ({ model: 'gpt-4o', messages: [message('system', 'Be brief.'), message('user', 'Why?')], maxTokens });
  const answer = 'Because the cache was cold and the index had to be rebuilt from scratch.';

  it('returns the recorded answer', async () => {
    const model = new RecordedAnswerModel();
    model.setAnswer(answer);
    const completion = await model.complete(request(1000));
    expect(completion.text).toBe(answer);
    expect(completion.finishReason).toBe('stop');
    expect(completion.usage.completionTokens).toBe(tokens(answer));
    expect(completion.usage.promptTokens).toBe(3 + messageTokens('system', 'Be brief.') + messageTokens('user', 'Why?'));
    expect(model.lastCall?.model).toBe('gpt-4o');
  });

  it('cuts at the output limit', async () => {
    const model = new RecordedAnswerModel();
    model.setAnswer(answer);
    const completion = await model.complete(request(5));
    expect(completion.finishReason).toBe('length');
    expect(completion.usage.completionTokens).toBe(5);
    expect(completion.text).toBe(firstTokens(answer, 5));
  });

  it('dates requests by its clock', async () => {
    let clock = minute(0);
    const model = new RecordedAnswerModel({ now: () => clock, promptCacheMinutes: 10 });
    const long = 'alpha beta gamma delta '.repeat(300).trim();
    const longRequest = { model: 'gpt-4o', messages: [message('system', 'Be brief.'), message('user', long)], maxTokens: 1000 };
    const prefix = messageTokens('system', 'Be brief.') + messageTokens('user', long);
    expect(prefix).toBeGreaterThanOrEqual(1024);
    model.setAnswer('ok');
    expect((await model.complete(longRequest)).usage.cachedTokens).toBe(0);
    clock = minute(5);
    expect((await model.complete(longRequest)).usage.cachedTokens).toBe(Math.floor(prefix / 128) * 128);
    clock = minute(30);
    expect((await model.complete(longRequest)).usage.cachedTokens).toBe(0);
  });

  it('forgets the call on a new answer', async () => {
    const model = new RecordedAnswerModel();
    model.setAnswer(answer);
    await model.complete(request(1000));
    model.setAnswer('next');
    expect(model.lastCall).toBeUndefined();
  });
});
