import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { buildPolicies, parsePolicy, readPolicyFile, UNLIMITED } from '../../src/replay/policies.js';
import { FIXTURES, testPolicy } from './support.js';

let directory: string | undefined;

afterEach(() => {
  if (directory) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

function writePolicy(policy: unknown): string {
  directory ??= mkdtempSync(join(tmpdir(), 'replay-policy-'));
  const path = join(directory, 'policy.json');
  writeFileSync(path, JSON.stringify(policy));
  return path;
}

describe('policy file', () => {
  it('accepts numbers and booleans', () => {
    const config = readPolicyFile(writePolicy({ CHAT_CONTEXT_WINDOW: 8, CHAT_ENABLE_CACHE: false }));
    expect(config.chat.contextWindow).toBe(8);
    expect(config.chat.enableCache).toBe(false);
  });

  it('resolves paths from its folder', () => {
    const path = writePolicy({ CHAT_PRICES_FILE: 'prices.json', CHAT_STRONG_MODEL: 'test-strong' });
    copyFileSync(join(FIXTURES, 'prices.json'), join(directory!, 'prices.json'));
    const config = readPolicyFile(path);
    expect(config.chat.pricesFile).toBe(join(directory!, 'prices.json'));
    expect(config.chat.strongModel).toBe('test-strong');
  });

  it('ignores the environment', () => {
    const previous = process.env.CHAT_CONTEXT_WINDOW;
    process.env.CHAT_CONTEXT_WINDOW = '9';
    try {
      expect(readPolicyFile(writePolicy({})).chat.contextWindow).toBe(5);
    } finally {
      if (previous === undefined) delete process.env.CHAT_CONTEXT_WINDOW;
      else process.env.CHAT_CONTEXT_WINDOW = previous;
    }
  });

  it('rejects a platform variable', () => {
    expect(() => readPolicyFile(writePolicy({ SLACK_BOT_TOKEN: 'xoxb-1' }))).toThrow(/Unknown variable SLACK_BOT_TOKEN in the policy file/);
  });

  it('rejects an object value', () => {
    expect(() => readPolicyFile(writePolicy({ CHAT_CONTEXT_WINDOW: { size: 3 } }))).toThrow(
      'Invalid CHAT_CONTEXT_WINDOW in the policy file',
    );
  });

  it('rejects an unpriced model', () => {
    expect(() => parsePolicy({ CHAT_CHEAP_MODEL: 'no-such-model' })).toThrow(/In the environment: Unknown model in CHAT_CHEAP_MODEL="no-such-model"/);
  });
});

describe('buildPolicies', () => {
  const policies = buildPolicies(testPolicy({ CHAT_CONTEXT_WINDOW: '4', CHAT_MAX_TOKENS_DEFAULT: '200', CHAT_ENABLE_CACHE: 'true' }));

  it('sends everything in the baseline', () => {
    const { chat } = policies.baseline;
    expect([chat.defaultModel, chat.cheapModel, chat.strongModel]).toEqual(['test-strong', 'test-strong', 'test-strong']);
    expect(chat.contextWindow).toBe(UNLIMITED);
    expect(chat.maxContextTokens).toBe(UNLIMITED);
    expect([chat.maxTokensSimple, chat.maxTokensDefault, chat.maxTokensComplex]).toEqual([UNLIMITED, UNLIMITED, UNLIMITED]);
    expect(chat.enableCache).toBe(false);
  });

  it('adds one strategy at a time', () => {
    expect(policies.window.chat.contextWindow).toBe(4);
    expect(policies.window.chat.defaultModel).toBe('test-strong');
    expect(policies.routing.chat.defaultModel).toBe('test-cheap');
    expect(policies.routing.chat.contextWindow).toBe(UNLIMITED);
    expect(policies.cache.chat.enableCache).toBe(true);
    expect(policies.cache.chat.maxTokensDefault).toBe(UNLIMITED);
    expect(policies.output_limits.chat.maxTokensDefault).toBe(200);
    expect(policies.output_limits.chat.enableCache).toBe(false);
  });

  it('keeps the policy on one model', () => {
    const { chat } = policies.same_model;
    expect([chat.defaultModel, chat.cheapModel, chat.strongModel]).toEqual(['test-strong', 'test-strong', 'test-strong']);
    expect(chat.contextWindow).toBe(4);
    expect(chat.maxTokensDefault).toBe(200);
    expect(chat.enableCache).toBe(true);
  });
});
