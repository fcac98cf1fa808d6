import { describe, expect, it } from 'vitest';

import type { ChatMessage } from '../../src/core/types.js';
import { PromptCacheEstimate, RecordedAnswerModel } from '../../src/replay/recorded-model.js';
import { firstTokens, messageTokens, tokens } from './support.js';

const message = (role: ChatMessage['role'], content: string): ChatMessage => ({ role, content });

describe('PromptCacheEstimate', () => {
  const first = [message('system', 's'), message('user', 'a')];
  const second = [...first, message('assistant', 'b'), message('user', 'c')];

  it('rounds a long prefix down to 128', () => {
    const estimate = new PromptCacheEstimate();
    expect(estimate.cachedTokens('m', first, [700, 650], 1353)).toBe(0);
    // 700 + 650 = 1,350 shared tokens, rounded down to 1,280.
    expect(estimate.cachedTokens('m', second, [700, 650, 50, 50], 1453)).toBe(1280);
  });

  it('caches nothing below 1,024 shared tokens', () => {
    const estimate = new PromptCacheEstimate();
    estimate.cachedTokens('m', first, [500, 500], 1003);
    expect(estimate.cachedTokens('m', second, [500, 500, 300, 300], 1603)).toBe(0);
  });

  it('keeps prefixes per model', () => {
    const estimate = new PromptCacheEstimate();
    estimate.cachedTokens('m', first, [700, 600], 1303);
    expect(estimate.cachedTokens('other', second, [700, 600, 50, 50], 1403)).toBe(0);
  });

  it('stops at the first differing message', () => {
    const estimate = new PromptCacheEstimate();
    estimate.cachedTokens('m', [message('system', 's'), message('user', 'a'), message('user', 'x')], [600, 600, 600], 1803);
    const request = [message('system', 's'), message('user', 'different'), message('user', 'x')];
    expect(estimate.cachedTokens('m', request, [600, 600, 600], 1803)).toBe(0);
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

  it('forgets the call on a new answer', async () => {
    const model = new RecordedAnswerModel();
    model.setAnswer(answer);
    await model.complete(request(1000));
    model.setAnswer('next');
    expect(model.lastCall).toBeUndefined();
  });
});
