import type { Logger } from 'pino';

import { CommandHandler } from './commands/commands.js';
import type { Config } from './config/config.js';
import { ChatSession } from './core/chat-session.js';
import { PriceTable, readPriceOverrides } from './core/pricing.js';
import { readRoutingRules, Router } from './core/router.js';
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
export async function createFrugal(config: Config, logger: Logger, overrides: FrugalOverrides = {}): Promise<Frugal> {
  const prices = buildPriceTable(config);
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
  });
  const commands = new CommandHandler(session, config.adminUserIds, overrides.now);
  return { config, session, commands, store, logger, close: () => store.close() };
}
