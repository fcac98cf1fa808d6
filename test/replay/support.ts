import { join } from 'node:path';

import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';
import pino from 'pino';

import { parsePolicy } from '../../src/replay/policies.js';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'replay');
export const SYSTEM_PROMPT = 'You answer support questions.';
export const silentLogger = pino({ level: 'silent' });

/** Pico-dollars per token of the models in fixtures/replay/prices.json. */
export const STRONG_PRICE = { input: 2_500_000, cachedInput: 1_250_000, output: 10_000_000 };
export const CHEAP_PRICE = { input: 150_000, cachedInput: 75_000, output: 600_000 };

/** Builds a policy on the fixture's priced test models, with `variables` on top. */
export function testPolicy(variables: Record<string, string> = {}) {
  return parsePolicy({
    CHAT_PRICES_FILE: join(FIXTURES, 'prices.json'),
    CHAT_STRONG_MODEL: 'test-strong',
    CHAT_DEFAULT_MODEL: 'test-cheap',
    CHAT_CHEAP_MODEL: 'test-cheap',
    CHAT_SYSTEM_PROMPT: SYSTEM_PROMPT,
    ...variables,
  });
}

const o200k = new Tiktoken(o200kBase);

/** Content tokens, straight from js-tiktoken. */
export function tokens(text: string): number {
  return o200k.encode(text, [], []).length;
}

/** Returns the first `limit` tokens of a text, as the API returns an answer that its output limit cut. */
export function firstTokens(text: string, limit: number): string {
  return o200k.decode(o200k.encode(text, [], []).slice(0, limit));
}

/** Counts one message as OpenAI bills it: 3 tokens of framing, the role and the content. */
export function messageTokens(role: string, content: string): number {
  return 3 + tokens(role) + tokens(content);
}

/** A recorded turn as the test expects it: the user's text and the answer text ('' when unanswered). */
export type Exchange = [question: string, answer: string];

/**
 * Returns the prompt tokens of each turn of one conversation when every request carries the
 * system prompt, the last `window` history messages and the question, plus 3 tokens of reply priming.
 */
export function expectedPrompts(exchanges: Exchange[], window = Infinity): number[] {
  const history: number[] = [];
  return exchanges.map(([question, answer]) => {
    const windowed = window === 0 ? [] : history.slice(-window);
    const prompt = 3 + messageTokens('system', SYSTEM_PROMPT) + windowed.reduce((sum, t) => sum + t, 0) + messageTokens('user', question);
    history.push(messageTokens('user', question), messageTokens('assistant', answer));
    return prompt;
  });
}

export const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
