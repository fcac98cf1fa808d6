import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

import { buildPriceTable, buildRouter } from '../app.js';
import { type Config, parseConfig, VARIABLES } from '../config/config.js';
import { reasonOf } from './recording.js';

/** The policies every replay runs, on the same turns. */
export const POLICY_NAMES = ['baseline', 'optimized', 'window', 'routing', 'cache', 'output_limits', 'same_model'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** The strategies that are each replayed alone on top of the baseline. */
export const STRATEGY_NAMES = ['window', 'routing', 'cache', 'output_limits'] as const;

/** Variables that shape a policy; the others (credentials, platforms, store, logging) do not apply to a replay. */
export const POLICY_VARIABLES = Object.keys(VARIABLES).filter((name) => name.startsWith('CHAT_') || name === 'DM_SENSITIVE');

/** Variables whose value is a path, resolved against the policy file's folder. */
const PATH_VARIABLES = new Set(['CHAT_ROUTING_RULES_FILE', 'CHAT_PRICES_FILE']);

/** Stands for "no limit" in the baseline: more messages, prompt tokens and completion tokens than any replay reaches. */
export const UNLIMITED = 1_000_000_000;

/** A policy that cannot be used: a bad variable, policy file, price or routing rule. */
export class PolicyError extends Error {
  override name = 'PolicyError';
}

/**
 * Validates the Frugal policy from variables, with the bot's own checks and messages. The
 * store is always a throwaway in memory, and no API key is needed because no request leaves.
 */
export function parsePolicy(variables: Record<string, string | undefined>, source = 'the environment'): Config {
  const env: Record<string, string | undefined> = { OPENAI_API_KEY: 'replay-sends-no-requests', STORE_URL: 'sqlite://:memory:' };
  for (const name of POLICY_VARIABLES) env[name] = variables[name];
  try {
    const config = parseConfig(env);
    buildPriceTable(config);
    buildRouter(config);
    return config;
  } catch (error) {
    throw new PolicyError(`In ${source}: ${reasonOf(error)}`);
  }
}

/**
 * Reads a policy file: a JSON object of the bot's variables, such as
 * `{"CHAT_CONTEXT_WINDOW": 8, "CHAT_ENABLE_CACHE": false}`. Variables it leaves out take their
 * defaults, not the environment's values, so that the file alone defines the policy.
 */
export function readPolicyFile(file: string): Config {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PolicyError(`Cannot read the policy file ${file}: ${reasonOf(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PolicyError(`Invalid policy file ${file}: expected a JSON object of variables such as {"CHAT_CONTEXT_WINDOW": 8}.`);
  }
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (!POLICY_VARIABLES.includes(name)) {
      throw new PolicyError(`Unknown variable ${name} in the policy file ${file}: expected one of ${POLICY_VARIABLES.join(', ')}.`);
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new PolicyError(`Invalid ${name} in the policy file ${file}: expected a string, number or boolean, not ${JSON.stringify(value)}.`);
    }
    const text = String(value);
    variables[name] = PATH_VARIABLES.has(name) && text.trim() !== '' && !isAbsolute(text) ? resolve(dirname(file), text) : text;
  }
  return parsePolicy(variables, file);
}

type ChatConfig = Config['chat'];

/** Returns a copy of the configuration with some chat settings changed. */
function withChat(config: Config, chat: Partial<ChatConfig>): Config {
  return { ...config, chat: { ...config.chat, ...chat } };
}

/**
 * Builds every policy from the Frugal policy. The baseline sends the system prompt and the
 * whole history to the strong model on every turn, without answer cache or output limit. Each
 * strategy policy is the baseline with that one strategy's settings taken from the Frugal
 * policy, and `same_model` is the Frugal policy with every route on the baseline's model.
 */
export function buildPolicies(optimized: Config): Record<PolicyName, Config> {
  const chat = optimized.chat;
  const model = chat.strongModel;
  const oneModel = { defaultModel: model, cheapModel: model, strongModel: model };
  const baseline = withChat(optimized, {
    ...oneModel,
    contextWindow: UNLIMITED,
    maxContextTokens: UNLIMITED,
    maxTokensSimple: UNLIMITED,
    maxTokensDefault: UNLIMITED,
    maxTokensComplex: UNLIMITED,
    enableCache: false,
  });
  return {
    baseline,
    optimized,
    window: withChat(baseline, { contextWindow: chat.contextWindow, maxContextTokens: chat.maxContextTokens }),
    routing: withChat(baseline, { defaultModel: chat.defaultModel, cheapModel: chat.cheapModel, strongModel: chat.strongModel }),
    cache: withChat(baseline, { enableCache: chat.enableCache, cacheMaxSize: chat.cacheMaxSize, cacheTtlSeconds: chat.cacheTtlSeconds }),
    output_limits: withChat(baseline, {
      maxTokensSimple: chat.maxTokensSimple,
      maxTokensDefault: chat.maxTokensDefault,
      maxTokensComplex: chat.maxTokensComplex,
    }),
    same_model: withChat(optimized, oneModel),
  };
}
