import type { Logger } from 'pino';

import { CommandHandler } from './commands/commands.js';
import { type Config, ConfigError } from './config/config.js';
import { ChatSession } from './core/chat-session.js';
import type { HistoryMemoryOptions } from './core/history.js';
import { PriceTable, readPriceOverrides } from './core/pricing.js';
import { readRoutingRules, Router } from './core/router.js';
import { REPLY_PRIMING_TOKENS, tokenCounterFor } from './core/tokens.js';
import type { ChatModel } from './llm/chat-model.js';
import { OpenAIChatModel } from './llm/openai-chat-model.js';
import { openStore, type Store } from './store/store.js';

/** The core, wired: what every adapter receives. */
export interface Frugal {
  config: Config;
  session: ChatSession;
  commands: CommandHandler;
  store: Store;
  logger: Logger;
  close(): Promise<void>;
}

export interface FrugalOverrides {
  model?: ChatModel;
  now?: () => Date;
  historyMemory?: HistoryMemoryOptions;
}

/** Returns the configuration with each configured model under the price table's canonical name. */
export function withCanonicalModels(config: Config, prices: PriceTable): Config {
  const canonical = (model: string) => prices.lookup(model)?.model ?? model;
  return {
    ...config,
    chat: {
      ...config.chat,
      defaultModel: canonical(config.chat.defaultModel),
      cheapModel: canonical(config.chat.cheapModel),
      strongModel: canonical(config.chat.strongModel),
    },
  };
}

/** Builds the price table and rejects configured models that have no price. */
export function buildPriceTable(config: Config): PriceTable {
  const prices = new PriceTable(config.chat.pricesFile ? readPriceOverrides(config.chat.pricesFile) : undefined);
  const configured: [string, string][] = [
    ['CHAT_DEFAULT_MODEL', config.chat.defaultModel],
    ['CHAT_CHEAP_MODEL', config.chat.cheapModel],
    ['CHAT_STRONG_MODEL', config.chat.strongModel],
  ];
  for (const [variable, model] of configured) {
    if (!prices.lookup(model)) {
      throw new Error(
        `Unknown model in ${variable}=${JSON.stringify(model)}: it has no price. Use a model from the price table ` +
          `such as ${prices.knownModels().slice(0, 6).join(', ')}, or price it in the JSON file named by CHAT_PRICES_FILE.`,
      );
    }
  }
  return prices;
}

/**
 * Rejects a system prompt that leaves no room for a message within CHAT_MAX_CONTEXT_TOKENS.
 * The prompt is counted in the encoding of each configured model, and the largest count wins.
 */
export function checkSystemPromptBudget(config: Config): void {
  const { systemPrompt, maxContextTokens } = config.chat;
  let systemTokens = 0;
  let required = 0;
  for (const model of [config.chat.defaultModel, config.chat.cheapModel, config.chat.strongModel]) {
    const counter = tokenCounterFor(model);
    const tokens = counter.countMessage({ role: 'system', content: systemPrompt });
    // The smallest request: reply priming, the system prompt and a user message of one token.
    const smallest = REPLY_PRIMING_TOKENS + tokens + counter.countMessage({ role: 'user', content: '' }) + 1;
    if (smallest > required) {
      required = smallest;
      systemTokens = tokens;
    }
  }
  if (required > maxContextTokens) {
    throw new ConfigError(
      `Invalid CHAT_MAX_CONTEXT_TOKENS=${maxContextTokens}: CHAT_SYSTEM_PROMPT takes ${systemTokens} tokens, which leaves ` +
        `no room for a message. Raise CHAT_MAX_CONTEXT_TOKENS to at least ${required}, and more to leave room for history, ` +
        'or shorten CHAT_SYSTEM_PROMPT.',
    );
  }
}

export function buildRouter(config: Config): Router {
  const custom = config.chat.routingRulesFile ? readRoutingRules(config.chat.routingRulesFile) : undefined;
  return new Router({
    defaultModel: config.chat.defaultModel,
    cheapModel: config.chat.cheapModel,
    strongModel: config.chat.strongModel,
    maxTokensSimple: config.chat.maxTokensSimple,
    maxTokensDefault: config.chat.maxTokensDefault,
    maxTokensComplex: config.chat.maxTokensComplex,
    complexMinWords: config.chat.complexMinWords,
    extraRules: custom?.rules,
    replaceBuiltinRules: custom?.replaceBuiltin,
  });
}

/** Opens the store and wires the core from a validated configuration. */
export async function createFrugal(validated: Config, logger: Logger, overrides: FrugalOverrides = {}): Promise<Frugal> {
  const prices = buildPriceTable(validated);
  // Names are sent and recorded as the price table spells them, so GPT-4O and gpt-4o share one ledger line.
  const config = withCanonicalModels(validated, prices);
  checkSystemPromptBudget(config);
  const router = buildRouter(config);
  const store = await openStore(config.storeUrl, { logger });
  const model = overrides.model ?? new OpenAIChatModel({ ...config.openai, logger });
  const session = new ChatSession({
    options: { ...config.chat, dmSensitive: config.dmSensitive },
    store,
    model,
    prices,
    router,
    logger,
    now: overrides.now,
    historyMemory: overrides.historyMemory,
  });
  const commands = new CommandHandler(session, config.adminUserIds, overrides.now);
  return { config, session, commands, store, logger, close: () => store.close() };
}
