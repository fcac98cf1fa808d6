import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Variables whose values are never echoed in an error message. */
const SECRET_VARIABLES = new Set([
  'OPENAI_API_KEY',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'DISCORD_TOKEN',
]);

/** URL variables. Credentials in them would reach error messages and logs, so they are rejected. */
const URL_VARIABLES = ['OPENAI_BASE_URL', 'SLACK_API_URL', 'DISCORD_API_URL'] as const;

const DEFAULT_SYSTEM_PROMPT =
  'You are Frugal, a concise support assistant. Answer in a few sentences unless asked for detail. ' +
  'If you do not know, say so.';

const text = () => z.string().trim().min(1);
const optionalText = () =>
  z
    .string()
    .trim()
    .transform((value) => (value === '' ? undefined : value))
    .optional();
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const decimal = (min: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/)
    .transform(Number)
    .pipe(z.number().min(min));
const flag = () =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']))
    .transform((value) => ['true', '1', 'yes', 'on'].includes(value));
const httpUrl = () =>
  z
    .string()
    .trim()
    .pipe(z.url({ protocol: /^https?$/ }))
    .transform((value) => value.replace(/\/+$/, ''));
const list = () =>
  z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    );

interface VariableSpec {
  schema: z.ZodType;
  /** Description of the accepted values, quoted in the error message. */
  allowed: string;
  default?: string;
}

/** Every variable Frugal reads, with what it accepts and its default. */
export const VARIABLES = {
  OPENAI_API_KEY: { schema: optionalText(), allowed: 'an OpenAI API key' },
  OPENAI_BASE_URL: { schema: httpUrl().optional(), allowed: 'an http:// or https:// URL such as http://127.0.0.1:11434/v1' },
  OPENAI_TIMEOUT_MS: { schema: wholeNumber(100, 600_000), allowed: 'milliseconds from 100 to 600000', default: '30000' },
  OPENAI_MAX_RETRIES: { schema: wholeNumber(0, 10), allowed: 'a whole number from 0 to 10', default: '2' },
  CHAT_DEFAULT_MODEL: { schema: text(), allowed: 'a model name', default: 'gpt-4o-mini' },
  CHAT_CHEAP_MODEL: { schema: text(), allowed: 'a model name', default: 'gpt-4o-mini' },
  CHAT_STRONG_MODEL: { schema: text(), allowed: 'a model name', default: 'gpt-4o' },
  CHAT_CONTEXT_WINDOW: { schema: wholeNumber(0, 1000), allowed: 'a whole number of messages from 0 to 1000', default: '5' },
  CHAT_MAX_CONTEXT_TOKENS: {
    schema: wholeNumber(50, 2_000_000),
    allowed: 'a whole number of tokens from 50 to 2000000',
    default: '4000',
  },
  CHAT_MAX_TOKENS_SIMPLE: { schema: wholeNumber(1, 200_000), allowed: 'a whole number of tokens from 1 to 200000', default: '150' },
  CHAT_MAX_TOKENS_DEFAULT: { schema: wholeNumber(1, 200_000), allowed: 'a whole number of tokens from 1 to 200000', default: '300' },
  CHAT_MAX_TOKENS_COMPLEX: { schema: wholeNumber(1, 200_000), allowed: 'a whole number of tokens from 1 to 200000', default: '500' },
  CHAT_COMPLEX_MIN_WORDS: {
    schema: wholeNumber(1, 100_000),
    allowed: 'a whole number of words from 1 to 100000',
    default: '60',
  },
  CHAT_ROUTING_RULES_FILE: { schema: optionalText(), allowed: 'a path to a JSON file of routing rules' },
  CHAT_PRICES_FILE: { schema: optionalText(), allowed: 'a path to a JSON file of model prices' },
  CHAT_ENABLE_CACHE: { schema: flag(), allowed: 'true or false', default: 'true' },
  CHAT_CACHE_MAX_SIZE: { schema: wholeNumber(1, 10_000_000), allowed: 'a whole number of answers from 1 to 10000000', default: '100' },
  CHAT_CACHE_TTL_SECONDS: {
    schema: wholeNumber(1, 31_536_000),
    allowed: 'a whole number of seconds from 1 to 31536000',
    default: '86400',
  },
  CHAT_SYSTEM_PROMPT: { schema: text(), allowed: 'a non-empty text', default: DEFAULT_SYSTEM_PROMPT },
  DM_SENSITIVE: { schema: flag(), allowed: 'true or false', default: 'true' },
  ADMIN_USER_IDS: { schema: list(), allowed: 'comma-separated platform:user ids such as slack:U123,discord:42', default: '' },
  STORE_URL: { schema: text(), allowed: 'sqlite://PATH or redis://HOST:PORT', default: 'sqlite://data/frugal.sqlite' },
  LOG_LEVEL: { schema: z.string().trim().toLowerCase().pipe(z.enum(LOG_LEVELS)), allowed: LOG_LEVELS.join(', '), default: 'info' },
  SLACK_BOT_TOKEN: { schema: optionalText(), allowed: 'a bot token starting with xoxb-' },
  SLACK_APP_TOKEN: { schema: optionalText(), allowed: 'an app-level token starting with xapp-' },
  SLACK_SIGNING_SECRET: { schema: optionalText(), allowed: "the app's signing secret" },
  SLACK_API_URL: { schema: httpUrl().optional(), allowed: 'an http:// or https:// URL such as https://slack.com/api' },
  SLACK_ANSWER_BOTS: { schema: flag(), allowed: 'true or false', default: 'false' },
  PORT: { schema: wholeNumber(0, 65_535), allowed: 'a port number from 0 to 65535', default: '3000' },
  DISCORD_TOKEN: { schema: optionalText(), allowed: 'a Discord bot token' },
  DISCORD_APPLICATION_ID: { schema: optionalText(), allowed: "the Discord application's id" },
  DISCORD_GUILD_ID: { schema: optionalText(), allowed: 'a Discord guild (server) id' },
  DISCORD_API_URL: { schema: httpUrl().optional(), allowed: 'an http:// or https:// URL such as https://discord.com/api' },
} satisfies Record<string, VariableSpec>;

type Variables = typeof VARIABLES;
export type RawConfig = { [K in keyof Variables]: z.output<Variables[K]['schema']> };

export interface Config {
  openai: { apiKey?: string; baseURL?: string; timeoutMs: number; maxRetries: number };
  chat: {
    defaultModel: string;
    cheapModel: string;
    strongModel: string;
    contextWindow: number;
    maxContextTokens: number;
    maxTokensSimple: number;
    maxTokensDefault: number;
    maxTokensComplex: number;
    complexMinWords: number;
    routingRulesFile?: string;
    pricesFile?: string;
    enableCache: boolean;
    cacheMaxSize: number;
    cacheTtlSeconds: number;
    systemPrompt: string;
  };
  dmSensitive: boolean;
  adminUserIds: string[];
  storeUrl: string;
  logLevel: (typeof LOG_LEVELS)[number];
  slack: {
    botToken?: string;
    appToken?: string;
    signingSecret?: string;
    apiUrl?: string;
    /** Whether messages from other bots are answered; the bot's own messages never are. */
    answerBots: boolean;
    port: number;
  };
  discord: { token?: string; applicationId?: string; guildId?: string; apiUrl?: string };
}

/**
 * Replaces the password in a URL's user information with `***`, as in redis://user:***@host:6379.
 * The user information is taken to end at the last `@`, so a password with an unescaped `/` or
 * `@` is masked too, at the price of masking more than the password in a URL whose path has an `@`.
 */
export function maskUrlPassword(url: string): string {
  const start = url.indexOf('://');
  const end = url.lastIndexOf('@');
  if (start < 0 || end < start) return url;
  const userInfo = url.slice(start + 3, end);
  const colon = userInfo.indexOf(':');
  if (colon < 0) return url;
  return `${url.slice(0, start + 3)}${userInfo.slice(0, colon)}:***${url.slice(end)}`;
}

function describeValue(name: string, value: string): string {
  if (SECRET_VARIABLES.has(name)) return '(value hidden)';
  const masked = maskUrlPassword(value);
  return JSON.stringify(masked.length > 80 ? `${masked.slice(0, 80)}…` : masked);
}

/** Returns whether a redis:// or rediss:// URL has a host, a valid port and at most a database number after it. */
function isRedisUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  return parsed.hostname !== '' && port >= 1 && /^(\/\d*)?$/.test(parsed.pathname) && parsed.search === '' && parsed.hash === '';
}

/**
 * Validates configuration from an environment. Throws a ConfigError whose one-line message
 * names the variable, its value and what is allowed.
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const raw: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(VARIABLES) as [string, VariableSpec][]) {
    const given = env[name];
    const value = given === undefined || given.trim() === '' ? spec.default : given;
    if (value === undefined) {
      raw[name] = undefined;
      continue;
    }
    const result = spec.schema.safeParse(value);
    if (!result.success) {
      throw new ConfigError(`Invalid ${name}=${describeValue(name, value)}: expected ${spec.allowed}.`);
    }
    // A line break in a key would end up in the Authorization header, and HTTP errors quote that header.
    if (SECRET_VARIABLES.has(name) && typeof result.data === 'string' && /\p{Cc}/u.test(result.data)) {
      throw new ConfigError(
        `Invalid ${name} (value hidden): it contains a control character such as a line break or tab; set it to the credential alone.`,
      );
    }
    raw[name] = result.data;
  }
  const values = raw as RawConfig;

  for (const name of URL_VARIABLES) {
    const url = values[name];
    if (url === undefined) continue;
    const parsed = new URL(url);
    if (parsed.username !== '' || parsed.password !== '') {
      throw new ConfigError(
        `Invalid ${name}=${describeValue(name, url)}: expected a URL without a user name or password; ` +
          'set credentials in their own variables, such as OPENAI_API_KEY.',
      );
    }
  }

  if (!values.OPENAI_API_KEY && !values.OPENAI_BASE_URL) {
    throw new ConfigError(
      'Missing OPENAI_API_KEY: set it to your OpenAI API key, or set OPENAI_BASE_URL to an OpenAI-compatible server that needs no key.',
    );
  }
  for (const id of values.ADMIN_USER_IDS) {
    if (!/^(slack|discord|terminal):[^:\s]+$/.test(id)) {
      throw new ConfigError(`Invalid ADMIN_USER_IDS entry ${JSON.stringify(id)}: expected platform:user such as slack:U123 or discord:42.`);
    }
  }
  if (values.SLACK_BOT_TOKEN && !values.SLACK_APP_TOKEN && !values.SLACK_SIGNING_SECRET) {
    throw new ConfigError(
      'Missing SLACK_APP_TOKEN or SLACK_SIGNING_SECRET: SLACK_BOT_TOKEN is set, so set SLACK_APP_TOKEN for Socket Mode or SLACK_SIGNING_SECRET for HTTP mode.',
    );
  }
  if (!values.SLACK_BOT_TOKEN && (values.SLACK_APP_TOKEN || values.SLACK_SIGNING_SECRET)) {
    throw new ConfigError('Missing SLACK_BOT_TOKEN: Slack needs the bot token (xoxb-...) next to SLACK_APP_TOKEN or SLACK_SIGNING_SECRET.');
  }
  if (!/^(sqlite|rediss?):\/\/.+/.test(values.STORE_URL)) {
    throw new ConfigError(
      `Invalid STORE_URL=${describeValue('STORE_URL', values.STORE_URL)}: expected sqlite://PATH such as sqlite://data/frugal.sqlite, or redis://HOST:PORT.`,
    );
  }
  // The store would create files named `?mode=ro` and `?mode=ro.ledger` rather than read the option.
  if (values.STORE_URL.startsWith('sqlite://') && values.STORE_URL.includes('?')) {
    throw new ConfigError(
      `Invalid STORE_URL=${describeValue('STORE_URL', values.STORE_URL)}: expected sqlite://PATH without a query string; ` +
        'sqlite options such as ?mode=ro are not read from the URL.',
    );
  }
  if (/^rediss?:/.test(values.STORE_URL) && !isRedisUrl(values.STORE_URL)) {
    throw new ConfigError(
      `Invalid STORE_URL=${describeValue('STORE_URL', values.STORE_URL)}: expected redis://[user:password@]HOST[:PORT][/DB] ` +
        'with a port from 1 to 65535 and a whole database number, such as redis://127.0.0.1:6379/0.',
    );
  }

  return {
    openai: {
      apiKey: values.OPENAI_API_KEY,
      baseURL: values.OPENAI_BASE_URL,
      timeoutMs: values.OPENAI_TIMEOUT_MS,
      maxRetries: values.OPENAI_MAX_RETRIES,
    },
    chat: {
      defaultModel: values.CHAT_DEFAULT_MODEL,
      cheapModel: values.CHAT_CHEAP_MODEL,
      strongModel: values.CHAT_STRONG_MODEL,
      contextWindow: values.CHAT_CONTEXT_WINDOW,
      maxContextTokens: values.CHAT_MAX_CONTEXT_TOKENS,
      maxTokensSimple: values.CHAT_MAX_TOKENS_SIMPLE,
      maxTokensDefault: values.CHAT_MAX_TOKENS_DEFAULT,
      maxTokensComplex: values.CHAT_MAX_TOKENS_COMPLEX,
      complexMinWords: values.CHAT_COMPLEX_MIN_WORDS,
      routingRulesFile: values.CHAT_ROUTING_RULES_FILE,
      pricesFile: values.CHAT_PRICES_FILE,
      enableCache: values.CHAT_ENABLE_CACHE,
      cacheMaxSize: values.CHAT_CACHE_MAX_SIZE,
      cacheTtlSeconds: values.CHAT_CACHE_TTL_SECONDS,
      systemPrompt: values.CHAT_SYSTEM_PROMPT,
    },
    dmSensitive: values.DM_SENSITIVE,
    adminUserIds: values.ADMIN_USER_IDS,
    storeUrl: values.STORE_URL,
    logLevel: values.LOG_LEVEL,
    slack: {
      botToken: values.SLACK_BOT_TOKEN,
      appToken: values.SLACK_APP_TOKEN,
      signingSecret: values.SLACK_SIGNING_SECRET,
      apiUrl: values.SLACK_API_URL,
      answerBots: values.SLACK_ANSWER_BOTS,
      port: values.PORT,
    },
    discord: {
      token: values.DISCORD_TOKEN,
      applicationId: values.DISCORD_APPLICATION_ID,
      guildId: values.DISCORD_GUILD_ID,
      apiUrl: values.DISCORD_API_URL,
    },
  };
}
