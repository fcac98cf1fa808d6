import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { readRoutingRules, Router, RoutingRulesError } from '../../src/core/router.js';

/** Writes a routing rules file with the given text into a fresh temporary folder. */
function writeRulesFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'frugal-rules-')), 'rules.json');
  writeFileSync(file, text);
  return file;
}

const options = {
  defaultModel: 'gpt-4.1-mini',
  cheapModel: 'gpt-4o-mini',
  strongModel: 'gpt-4o',
  maxTokensSimple: 150,
  maxTokensDefault: 300,
  maxTokensComplex: 500,
  complexMinWords: 60,
};

describe('Router', () => {
  const router = new Router(options);

  it.each([
    ['hello', 'rule:greeting'],
    ['Good morning team!', 'rule:greeting'],
    ['thanks!', 'rule:thanks'],
    ['Thank you so much', 'rule:thanks'],
    ['yes', 'rule:yes-no'],
    ['nope.', 'rule:yes-no'],
    ['What is DNS?', 'rule:definition'],
    ['define idempotency', 'rule:definition'],
    ['2+2', 'rule:arithmetic'],
    ['what is 12 * 7?', 'rule:arithmetic'],
  ])('sends %j to the cheap model', (question, reason) => {
    const route = router.route(question);
    expect(route.queryClass).toBe('simple');
    expect(route.model).toBe('gpt-4o-mini');
    expect(route.maxTokens).toBe(150);
    expect(route.reason).toBe(reason);
  });

  it.each([
    ['Can you analyze our churn numbers?', 'rule:analysis'],
    ['Compare Postgres and MySQL for our workload', 'rule:analysis'],
    ['Please explain OAuth in detail', 'rule:detailed-explanation'],
    ['Reason step by step about the outage', 'rule:step-by-step'],
    ['Prove that the algorithm terminates', 'rule:proof'],
  ])('sends %j to the strong model', (question, reason) => {
    const route = router.route(question);
    expect(route.queryClass).toBe('complex');
    expect(route.model).toBe('gpt-4o');
    expect(route.maxTokens).toBe(500);
    expect(route.reason).toBe(reason);
  });

  it('sends long questions to the strong model', () => {
    const question = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const route = router.route(question);
    expect(route.model).toBe('gpt-4o');
    expect(route.reason).toBe('long-question:60-words');
  });

  it.each(['How do I reset my password?', 'hello, my card was declined twice', 'What is the refund policy for annual plans?'])(
    'sends %j to the default model',
    (question) => {
      const route = router.route(question);
      expect(route.queryClass).toBe('default');
      expect(route.model).toBe('gpt-4.1-mini');
      expect(route.maxTokens).toBe(300);
      expect(route.reason).toBe('no-rule');
    },
  );

  it('lets a pinned model win but keeps the class limit', () => {
    const route = router.route('hello', 'gpt-4.1');
    expect(route.model).toBe('gpt-4.1');
    expect(route.maxTokens).toBe(150);
    expect(route.reason).toBe('workspace-pinned;rule:greeting');
  });

  it('tries rules from a file before the built-in ones', () => {
    const directory = mkdtempSync(join(tmpdir(), 'frugal-rules-'));
    const file = join(directory, 'rules.json');
    writeFileSync(file, JSON.stringify({ rules: [{ name: 'refund', class: 'complex', pattern: '\\brefund\\b' }] }));
    const custom = readRoutingRules(file);
    const withRules = new Router({ ...options, extraRules: custom.rules });
    expect(withRules.route('What is the refund policy?').reason).toBe('rule:refund');
    expect(withRules.route('hello').reason).toBe('rule:greeting');
  });

  it('rejects a rules file with a bad class', () => {
    const directory = mkdtempSync(join(tmpdir(), 'frugal-rules-'));
    const file = join(directory, 'rules.json');
    writeFileSync(file, JSON.stringify({ rules: [{ name: 'x', class: 'hard', pattern: 'x' }] }));
    expect(() => readRoutingRules(file)).toThrow(RoutingRulesError);
    expect(() => readRoutingRules(file)).toThrow(/"class" is "hard", expected "simple" or "complex"/);
  });

  it.each(['g', 'y', 'gi'])('rejects the stateful flags %s', (flags) => {
    const file = writeRulesFile(JSON.stringify({ rules: [{ name: 'refund', class: 'complex', pattern: 'refund', flags }] }));
    const stateful = flags.includes('g') ? 'g' : 'y';
    expect(() => readRoutingRules(file)).toThrow(RoutingRulesError);
    expect(() => readRoutingRules(file)).toThrow(`Invalid rule 1 in ${file} ("refund"): flag "${stateful}"`);
  });

  it('routes a repeated question the same way', () => {
    const file = writeRulesFile(JSON.stringify({ rules: [{ name: 'refund', class: 'complex', pattern: 'refund', flags: 'im' }] }));
    const router = new Router({ ...options, extraRules: readRoutingRules(file).rules });
    const routes = [1, 2, 3].map(() => router.route('how do I get a refund on my order').reason);
    expect(routes).toEqual(['rule:refund', 'rule:refund', 'rule:refund']);
  });

  it.each(['null', '[]', '"rules"', '{"rules": {}}'])('rejects the rules file %s', (text) => {
    const file = writeRulesFile(text);
    expect(() => readRoutingRules(file)).toThrow(RoutingRulesError);
    expect(() => readRoutingRules(file)).toThrow(
      `Invalid CHAT_ROUTING_RULES_FILE=${JSON.stringify(file)}: expected a JSON object with a "rules" array, ` +
        'such as {"rules": [{"name": "refund", "class": "complex", "pattern": "\\\\brefund\\\\b"}]}.',
    );
  });
});
