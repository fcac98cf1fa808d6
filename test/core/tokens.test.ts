import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';
import { describe, expect, it } from 'vitest';

import { encodingForModel, TokenCounter, tokenCounterFor } from '../../src/core/tokens.js';
import type { ChatMessage } from '../../src/core/types.js';

// The example chat of OpenAI's cookbook notebook "How to count tokens with tiktoken"
// (openai/openai-cookbook, examples/How_to_count_tokens_with_tiktoken.ipynb). The notebook
// reports the prompt tokens the API billed for it: 129 for gpt-4 and gpt-3.5-turbo-0613,
// 124 for gpt-4o and gpt-4o-mini.
const COOKBOOK_MESSAGES: ChatMessage[] = [
  {
    role: 'system',
    content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.',
  },
  { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
  { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
  {
    role: 'system',
    name: 'example_user',
    content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
  },
  { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
  { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
];

describe('TokenCounter', () => {
  it.each([
    ['gpt-4', 129],
    ['gpt-3.5-turbo-0613', 129],
    ['gpt-4o', 124],
    ['gpt-4o-mini', 124],
  ])('matches the cookbook figure for %s', (model, billed) => {
    expect(tokenCounterFor(model).countMessages(COOKBOOK_MESSAGES)).toBe(billed);
  });

  it.each([
    ['gpt-4o-mini', 'o200k_base'],
    ['gpt-4.1-nano', 'o200k_base'],
    ['o3-mini', 'o200k_base'],
    ['gpt-5', 'o200k_base'],
    ['gpt-4', 'cl100k_base'],
    ['gpt-4-turbo', 'cl100k_base'],
    ['gpt-3.5-turbo', 'cl100k_base'],
    ['llama3.2', 'o200k_base'],
    ['', 'o200k_base'],
  ])('picks the encoding of %s', (model, encoding) => {
    expect(encodingForModel(model)).toBe(encoding);
  });

  it('counts unknown model names without throwing', () => {
    expect(tokenCounterFor('my-local-model:7b').count('hello world')).toBe(2);
  });

  it('counts special-token strings as plain text', () => {
    const reference = new Tiktoken(o200kBase);
    const text = 'before <|endoftext|> after <|fim_prefix|>';
    expect(tokenCounterFor('gpt-4o').count(text)).toBe(reference.encode(text, [], []).length);
  });

  it('equals js-tiktoken on long runs without whitespace', () => {
    const reference = new Tiktoken(o200kBase);
    const counter = new TokenCounter('o200k_base');
    const base64 = Buffer.from(Array.from({ length: 1500 }, (_, i) => (i * 7919) % 256)).toString('base64');
    const samples = [
      base64,
      '这是一个很长的中文段落没有任何空格用来测试分词器的合并步骤'.repeat(30),
      'x'.repeat(2500),
      'ab'.repeat(900) + 'c',
      '🙂👍🏽'.repeat(200),
      Array.from({ length: 2000 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join(''),
    ];
    for (const sample of samples) {
      expect(counter.count(sample), sample.slice(0, 20)).toBe(reference.encode(sample, [], []).length);
    }
  });

  it('equals js-tiktoken on short pieces', () => {
    const reference = new Tiktoken(o200kBase);
    const counter = new TokenCounter('o200k_base');
    const samples = [
      '退款需要多长时间，我的卡什么时候到。请帮我查一下转账为什么失败了，谢谢！',
      'getUserAccountBalanceByIdentifier XMLHttpRequestFactory snake_case_identifier_name',
      'Überweisung fehlgeschlagen: naïve café façade — résumé coöperate',
      'Ответ на вопрос о карте пришёл слишком поздно',
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbb',
      '🙂 thanks!!! ... ??? 12345678901234 3.14159',
    ];
    for (const sample of samples) {
      expect(counter.count(sample), sample.slice(0, 20)).toBe(reference.encode(sample, [], []).length);
    }
  });

  it('counts a 100 KB run without whitespace', () => {
    let text = '';
    for (let i = 0; i < 100_000; i++) text += String.fromCharCode(65 + ((i * 2654435761) % 26));
    const tokens = tokenCounterFor('gpt-4o').count(text);
    // A token of o200k_base covers at most a few dozen letters, and every token covers at least one.
    expect(tokens).toBeGreaterThan(100_000 / 64);
    expect(tokens).toBeLessThanOrEqual(100_000);
  });

  it('stops early inside one long piece', () => {
    // 300,000 CJK characters without punctuation are one piece of 900,000 UTF-8 bytes.
    const text = '漢字中文'.repeat(75_000);
    const counter = tokenCounterFor('gpt-4o');
    const limit = 4000;
    const counted = counter.countUpTo(text, limit);
    expect(counted).toBeGreaterThan(limit);
    // A result below the full count shows the merge of the piece was skipped.
    expect(counted).toBeLessThan(counter.count(text));
    expect(counter.countUpTo('漢字中文', limit)).toBe(counter.count('漢字中文'));
  });

  it('equals js-tiktoken on ordinary questions', () => {
    const reference = new Tiktoken(o200kBase);
    const counter = tokenCounterFor('gpt-4o');
    const questions = [
      'How do I reset my password?',
      "I'm still waiting on my card to arrive, it's been 2 weeks!",
      'Can you compare plan A and plan B in detail?\n\n- price\n- limits',
      '   leading and trailing spaces   ',
      'Ünïcödé, ümlauts & émojis 🎉 — “quotes”',
    ];
    for (const question of questions) expect(counter.count(question)).toBe(reference.encode(question, [], []).length);
  });
});
