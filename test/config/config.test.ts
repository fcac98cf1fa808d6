import { describe, expect, it } from 'vitest';

import { checkSystemPromptBudget } from '../../src/app.js';
import { ConfigError, maskUrlPassword, parseConfig } from '../../src/config/config.js';
import { tokenCounterFor } from '../../src/core/tokens.js';

const base = { OPENAI_API_KEY: 'sk-test' };

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const config = parseConfig(base);
    expect(config.chat).toMatchObject({
      defaultModel: 'gpt-4o-mini',
      cheapModel: 'gpt-4o-mini',
      strongModel: 'gpt-4o',
      contextWindow: 5,
      maxContextTokens: 4000,
      maxTokensSimple: 150,
      maxTokensComplex: 500,
      enableCache: true,
      cacheMaxSize: 100,
      cacheTtlSeconds: 86400,
    });
    expect(config.dmSensitive).toBe(true);
    expect(config.storeUrl).toBe('sqlite://data/frugal.sqlite');
    expect(config.slack.port).toBe(3000);
  });

  it.each([
    ['CHAT_CONTEXT_WINDOW', 'five', 'Invalid CHAT_CONTEXT_WINDOW="five": expected a whole number of messages from 0 to 1000.'],
    ['CHAT_MAX_CONTEXT_TOKENS', '-4', 'Invalid CHAT_MAX_CONTEXT_TOKENS="-4": expected a whole number of tokens from 50 to 2000000.'],
    ['CHAT_ENABLE_CACHE', 'maybe', 'Invalid CHAT_ENABLE_CACHE="maybe": expected true or false.'],
    ['OPENAI_BASE_URL', 'localhost:11434', 'Invalid OPENAI_BASE_URL="localhost:11434": expected an http:// or https:// URL such as http://127.0.0.1:11434/v1.'],
    ['LOG_LEVEL', 'loud', 'Invalid LOG_LEVEL="loud": expected fatal, error, warn, info, debug, trace, silent.'],
    ['PORT', '70000', 'Invalid PORT="70000": expected a port number from 0 to 65535.'],
  ])('rejects %s=%s with one line', (name, value, expected) => {
    expect(() => parseConfig({ ...base, [name]: value })).toThrow(new ConfigError(expected));
  });

  it('requires an API key unless a base URL is set', () => {
    expect(() => parseConfig({})).toThrow(/^Missing OPENAI_API_KEY: set it to your OpenAI API key, or set OPENAI_BASE_URL/);
    expect(parseConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' }).openai.apiKey).toBeUndefined();
  });

  it('hides secret values in errors', () => {
    expect(() => parseConfig({ ...base, ADMIN_USER_IDS: 'U123' })).toThrow(/Invalid ADMIN_USER_IDS entry "U123"/);
    expect(() => parseConfig({ OPENAI_API_KEY: 'sk-secret', STORE_URL: 'postgresql://db' })).toThrow(
      /^Invalid STORE_URL="postgresql:\/\/db": expected sqlite:\/\/PATH such as sqlite:\/\/data\/frugal.sqlite, or redis:\/\/HOST:PORT\.$/,
    );
    expect(() => parseConfig({ SLACK_BOT_TOKEN: '   ', OPENAI_API_KEY: 'sk-secret', OPENAI_TIMEOUT_MS: 'soon' })).toThrow(
      'Invalid OPENAI_TIMEOUT_MS="soon"',
    );
  });

  it('hides the password of a store URL', () => {
    expect(() => parseConfig({ ...base, STORE_URL: 'mongodb://admin:hunter2@127.0.0.1/x' })).toThrow(
      'Invalid STORE_URL="mongodb://admin:***@127.0.0.1/x"',
    );
    expect(parseConfig({ ...base, STORE_URL: 'redis://127.0.0.1:6379' }).storeUrl).toBe('redis://127.0.0.1:6379');
  });

  it.each(['redis://127.0.0.1:99999', 'redis://127.0.0.1:16390/abc', 'redis://127.0.0.1:0', 'redis://127.0.0.1:6379/0?db=1', 'redis://:pw@/0'])(
    'rejects the Redis URL %s',
    (url) => {
      expect(() => parseConfig({ ...base, STORE_URL: url })).toThrow(
        new ConfigError(
          `Invalid STORE_URL=${JSON.stringify(url.replace(':pw@', ':***@'))}: expected redis://[user:password@]HOST[:PORT][/DB] ` +
            'with a port from 1 to 65535 and a whole database number, such as redis://127.0.0.1:6379/0.',
        ),
      );
    },
  );

  it.each(['redis://127.0.0.1', 'redis://127.0.0.1:6379/', 'rediss://default:pw@redis.internal:6380/2'])('accepts the Redis URL %s', (url) => {
    expect(parseConfig({ ...base, STORE_URL: url }).storeUrl).toBe(url);
  });

  it.each(['sqlite://?mode=ro', 'sqlite://data/frugal.sqlite?cache=shared'])('rejects the sqlite query in %s', (url) => {
    expect(() => parseConfig({ ...base, STORE_URL: url })).toThrow(
      new ConfigError(
        `Invalid STORE_URL=${JSON.stringify(url)}: expected sqlite://PATH without a query string; ` +
          'sqlite options such as ?mode=ro are not read from the URL.',
      ),
    );
  });

  it('never echoes a secret variable', () => {
    const schemaBreaking = { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1', OPENAI_API_KEY: '   ' };
    expect(parseConfig(schemaBreaking).openai.apiKey).toBeUndefined();
  });

  it.each(['OPENAI_BASE_URL', 'SLACK_API_URL', 'DISCORD_API_URL'])('rejects credentials in %s', (name) => {
    const attempt = () => parseConfig({ ...base, [name]: 'http://user:pw-in-url@127.0.0.1:1/v1' });
    expect(attempt).toThrow(
      new ConfigError(
        `Invalid ${name}="http://user:***@127.0.0.1:1/v1": expected a URL without a user name or password; ` +
          'set credentials in their own variables, such as OPENAI_API_KEY.',
      ),
    );
    expect(() => parseConfig({ ...base, [name]: 'http://user@127.0.0.1:1/v1' })).toThrow(/without a user name or password/);
  });

  it.each(['OPENAI_API_KEY', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET', 'DISCORD_TOKEN'])(
    'rejects control characters in %s',
    (name) => {
      for (const value of ['sk-abc\nX-Other: 1', 'sk-abc\rdef', 'sk-abc\u0000def', 'sk-abc\u007fdef']) {
        const attempt = () => parseConfig({ ...base, [name]: value });
        expect(attempt).toThrow(
          new ConfigError(
            `Invalid ${name} (value hidden): it contains a control character such as a line break or tab; set it to the credential alone.`,
          ),
        );
      }
    },
  );

  it('accepts a key with a trailing line break', () => {
    expect(parseConfig({ OPENAI_API_KEY: 'sk-abc\n' }).openai.apiKey).toBe('sk-abc');
  });

  it('requires Slack tokens in working pairs', () => {
    expect(() => parseConfig({ ...base, SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/^Missing SLACK_APP_TOKEN or SLACK_SIGNING_SECRET/);
    expect(() => parseConfig({ ...base, SLACK_APP_TOKEN: 'xapp-1' })).toThrow(/^Missing SLACK_BOT_TOKEN/);
    expect(parseConfig({ ...base, SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).slack.signingSecret).toBe('s');
  });

  it('accepts flags in the usual spellings', () => {
    expect(parseConfig({ ...base, DM_SENSITIVE: 'off' }).dmSensitive).toBe(false);
    expect(parseConfig({ ...base, CHAT_ENABLE_CACHE: 'YES' }).chat.enableCache).toBe(true);
  });

  it('splits ADMIN_USER_IDS and trims the base URL', () => {
    const config = parseConfig({ ...base, ADMIN_USER_IDS: 'slack:U1, discord:42', OPENAI_BASE_URL: 'http://127.0.0.1:8080/v1/' });
    expect(config.adminUserIds).toEqual(['slack:U1', 'discord:42']);
    expect(config.openai.baseURL).toBe('http://127.0.0.1:8080/v1');
  });
});

describe('maskUrlPassword', () => {
  it.each([
    ['redis://default:hunter2@127.0.0.1:6379', 'redis://default:***@127.0.0.1:6379'],
    ['redis://:hunter2@127.0.0.1:6379/1', 'redis://:***@127.0.0.1:6379/1'],
    ['redis://user:pa/ss@word@127.0.0.1:6379', 'redis://user:***@127.0.0.1:6379'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['sqlite://data/frugal.sqlite', 'sqlite://data/frugal.sqlite'],
  ])('masks %s', (url, expected) => {
    expect(maskUrlPassword(url)).toBe(expected);
  });
});

describe('checkSystemPromptBudget', () => {
  const systemPrompt = 'You are a very helpful support assistant for ACME. '.repeat(10).trim();
  // gpt-4 uses cl100k_base and gpt-4o o200k_base; the budget must hold for the larger count.
  const models = { CHAT_DEFAULT_MODEL: 'gpt-4', CHAT_CHEAP_MODEL: 'gpt-4o-mini', CHAT_STRONG_MODEL: 'gpt-4o' };
  const largest = Math.max(
    ...['gpt-4', 'gpt-4o'].map((model) => tokenCounterFor(model).countMessage({ role: 'system', content: systemPrompt })),
  );
  // Reply priming (3), the system prompt, and a user message of one token (3 per message, 1 for the role, 1 of text).
  const required = 3 + largest + 5;

  it('rejects a prompt over the budget', () => {
    const config = parseConfig({ ...base, ...models, CHAT_MAX_CONTEXT_TOKENS: '50', CHAT_SYSTEM_PROMPT: systemPrompt });
    expect(() => checkSystemPromptBudget(config)).toThrow(ConfigError);
    expect(() => checkSystemPromptBudget(config)).toThrow(
      `Invalid CHAT_MAX_CONTEXT_TOKENS=50: CHAT_SYSTEM_PROMPT takes ${largest} tokens, which leaves no room for a message.`,
    );
  });

  it('accepts the smallest budget that fits', () => {
    const config = parseConfig({ ...base, ...models, CHAT_SYSTEM_PROMPT: systemPrompt });
    const fitting = { ...config, chat: { ...config.chat, maxContextTokens: required } };
    const short = { ...config, chat: { ...config.chat, maxContextTokens: required - 1 } };
    expect(() => checkSystemPromptBudget(fitting)).not.toThrow();
    expect(() => checkSystemPromptBudget(short)).toThrow(`Raise CHAT_MAX_CONTEXT_TOKENS to at least ${required},`);
  });

  it('accepts the default prompt at the minimum', () => {
    expect(() => checkSystemPromptBudget(parseConfig({ ...base, CHAT_MAX_CONTEXT_TOKENS: '50' }))).not.toThrow();
  });
});
