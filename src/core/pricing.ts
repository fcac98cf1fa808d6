import { calcPrice, findProvider } from '@pydantic/genai-prices';

import { readJsonFile } from '../config/json-file.js';
import type { TokenUsage } from './types.js';

/** Prices of one model in USD per million tokens. */
export interface ModelPrice {
  /** The canonical name: as written in the override file, or lower case as the bundled table matches names. */
  model: string;
  inputPerMillion: number;
  cachedInputPerMillion: number;
  outputPerMillion: number;
  source: 'override' | 'genai-prices';
}

/** One pico-dollar is 1e-12 USD. Costs are kept in whole pico-dollars so that sums are exact. */
export const PICO_PER_USD = 1e12;

export class PriceError extends Error {
  override name = 'PriceError';
}

/** Converts a price per million tokens into whole pico-dollars per token. */
function picoPerToken(usdPerMillion: number): number {
  return Math.round(usdPerMillion * 1e6);
}

/**
 * Computes a turn's cost in pico-dollars: uncached prompt tokens at the input price, cached
 * tokens at the cached-input price and completion tokens at the output price.
 */
export function costPico(price: ModelPrice, usage: TokenUsage): number {
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  const uncached = usage.promptTokens - cached;
  return (
    uncached * picoPerToken(price.inputPerMillion) +
    cached * picoPerToken(price.cachedInputPerMillion) +
    usage.completionTokens * picoPerToken(price.outputPerMillion)
  );
}

export function picoToUsd(pico: number): number {
  return pico / PICO_PER_USD;
}

/**
 * Highest price accepted in an override file, in USD per million tokens. It is far above any
 * model sold today, so a larger value is a mistake, and one such as 1e308 made every cost infinite.
 */
export const MAX_PRICE_PER_MILLION = 10_000;

const overrideEntry = (file: string, model: string, value: unknown): ModelPrice => {
  const fields = value as Record<string, unknown> | null;
  const read = (key: string, fallback?: number): number => {
    const raw = fields?.[key] ?? fallback;
    if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0 || raw > MAX_PRICE_PER_MILLION) {
      throw new PriceError(
        `Invalid price "${key}" for model "${model}" in CHAT_PRICES_FILE=${JSON.stringify(file)}: ` +
          `expected a number of USD per million tokens from 0 to ${MAX_PRICE_PER_MILLION}.`,
      );
    }
    return raw;
  };
  const input = read('input');
  return {
    model,
    inputPerMillion: input,
    cachedInputPerMillion: read('cached_input', input),
    outputPerMillion: read('output'),
    source: 'override',
  };
};

/** Reads a price override file: `{"model": {"input": 0.5, "cached_input": 0.25, "output": 1.5}}`. */
export function readPriceOverrides(file: string): Map<string, ModelPrice> {
  let parsed: unknown;
  try {
    parsed = readJsonFile('CHAT_PRICES_FILE', file);
  } catch (error) {
    throw new PriceError((error as Error).message);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PriceError(
      `Invalid CHAT_PRICES_FILE=${JSON.stringify(file)}: expected a JSON object keyed by model name, ` +
        'such as {"llama3.2": {"input": 0, "output": 0}}.',
    );
  }
  const prices = new Map<string, ModelPrice>();
  const byLowerCase = new Map<string, string>();
  for (const [model, value] of Object.entries(parsed)) {
    const twin = byLowerCase.get(model.toLowerCase());
    if (twin !== undefined) {
      throw new PriceError(
        `Invalid CHAT_PRICES_FILE=${JSON.stringify(file)}: models "${twin}" and "${model}" differ only in case, ` +
          'and model names are matched without case. Keep one of them.',
      );
    }
    byLowerCase.set(model.toLowerCase(), model);
    prices.set(model, overrideEntry(file, model, value));
  }
  return prices;
}

/** Models in the bundled table that answer chat completions; audio, image and embedding models are left out. */
const CHAT_MODEL_NAME = /^(gpt-|o\d|chatgpt-)/;
const NON_CHAT_MODEL_NAME = /audio|realtime|transcribe|tts|image|embedding|search|instruct|deep-research|codex|moderation|computer-use|:|-ft-|\.ft-/;

/**
 * The price table: the override file first, then the OpenAI prices bundled with
 * @pydantic/genai-prices (pinned in package.json, never updated over the network).
 */
export class PriceTable {
  private readonly overrides: Map<string, ModelPrice>;
  /** Override prices keyed by lower-case model name, so that lookups ignore case as the bundled table does. */
  private readonly overridesByLowerCase: Map<string, ModelPrice>;
  private readonly resolved = new Map<string, ModelPrice | undefined>();

  constructor(overrides: Map<string, ModelPrice> = new Map()) {
    this.overrides = overrides;
    this.overridesByLowerCase = new Map([...overrides].map(([model, price]) => [model.toLowerCase(), price]));
  }

  /**
   * Returns the price of a model, or undefined when neither the override nor the bundled table
   * has it. Names match without regard to case, and the price's `model` is the canonical name to send and record.
   */
  lookup(model: string): ModelPrice | undefined {
    if (this.resolved.has(model)) return this.resolved.get(model);
    const price = this.overridesByLowerCase.get(model.trim().toLowerCase()) ?? bundledPrice(model);
    this.resolved.set(model, price);
    return price;
  }

  /** Returns the price of a model, throwing a PriceError that lists some known models when there is none. */
  require(model: string): ModelPrice {
    const price = this.lookup(model);
    if (!price) {
      throw new PriceError(
        `Unknown model "${model}": it has no price. Use one of ${this.knownModels().slice(0, 12).join(', ')}, ` +
          'or price it in the file named by CHAT_PRICES_FILE.',
      );
    }
    return price;
  }

  /** Lists the chat models with a price: override models, then current OpenAI models, then older ones. */
  knownModels(): string[] {
    const names = new Set(this.overrides.keys());
    const bundled = bundledChatModels();
    for (const name of CURRENT_MODELS) if (bundled.includes(name)) names.add(name);
    for (const name of bundled) names.add(name);
    return [...names];
  }
}

/** OpenAI models listed first, in /model output and error messages, because most workspaces pick one of them. */
const CURRENT_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-nano', 'gpt-4.1-mini', 'gpt-4.1', 'gpt-5-nano', 'gpt-5-mini', 'gpt-5', 'o4-mini', 'o3-mini', 'o3'];

let bundledChatModelNames: string[] | undefined;

function bundledChatModels(): string[] {
  if (!bundledChatModelNames) {
    const provider = findProvider({ providerId: 'openai' });
    bundledChatModelNames = (provider?.models ?? [])
      .map((model) => model.id)
      .filter((id) => CHAT_MODEL_NAME.test(id) && !NON_CHAT_MODEL_NAME.test(id))
      .filter((id) => bundledPrice(id) !== undefined);
  }
  return bundledChatModelNames;
}

function bundledPrice(model: string): ModelPrice | undefined {
  const result = calcPrice({ input_tokens: 0, output_tokens: 0 }, model, { providerId: 'openai' });
  const prices = result?.model_price as Record<string, unknown> | undefined;
  const input = prices?.input_mtok;
  const output = prices?.output_mtok;
  if (typeof input !== 'number' || typeof output !== 'number') return undefined;
  const cached = typeof prices?.cache_read_mtok === 'number' ? prices.cache_read_mtok : input;
  // @pydantic/genai-prices 0.1.8 matches the trimmed, lower-case name, and OpenAI model names are lower case.
  return { model: model.trim().toLowerCase(), inputPerMillion: input, cachedInputPerMillion: cached, outputPerMillion: output, source: 'genai-prices' };
}
