import OpenAI from 'openai';
import type { Logger } from 'pino';

import { tokenCounterFor } from '../core/tokens.js';
import type { TokenUsage } from '../core/types.js';
import { type ChatModel, type Completion, type CompletionRequest, ModelCallError } from './chat-model.js';

export interface OpenAIChatModelOptions {
  apiKey?: string;
  baseURL?: string;
  timeoutMs: number;
  maxRetries: number;
  /** Receives a warning when a server reports usage that cannot be billed. */
  logger?: Logger;
}

/** Models that take `max_completion_tokens` and reject `max_tokens`: the o-series and gpt-5. */
const COMPLETION_TOKENS_MODELS = /^(o\d|gpt-5)/;

/** The chat model behind the official openai SDK, against OpenAI or any compatible server. */
export class OpenAIChatModel implements ChatModel {
  private readonly client: OpenAI;
  private readonly logger?: Logger;

  constructor(options: OpenAIChatModelOptions) {
    this.logger = options.logger;
    this.client = new OpenAI({
      // Local OpenAI-compatible servers such as Ollama accept any key, but the SDK requires one.
      apiKey: options.apiKey ?? 'no-key',
      baseURL: options.baseURL,
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
      logLevel: 'off',
    });
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    const limit = COMPLETION_TOKENS_MODELS.test(request.model)
      ? { max_completion_tokens: request.maxTokens }
      : { max_tokens: request.maxTokens };
    let response: OpenAI.Chat.Completions.ChatCompletion;
    let requestId: string | undefined;
    try {
      const result = await this.client.chat.completions
        .create({ model: request.model, messages: request.messages, ...limit })
        .withResponse();
      response = result.data;
      requestId = result.request_id ?? undefined;
    } catch (error) {
      if (error instanceof OpenAI.APIError) {
        const status = typeof error.status === 'number' ? error.status : undefined;
        throw new ModelCallError(`Model call failed${status ? ` with HTTP ${status}` : ''}: ${error.message}`, status, { cause: error });
      }
      throw new ModelCallError(`Model call failed: ${(error as Error).message}`, undefined, { cause: error });
    }

    // The SDK returns whatever body a 200 response has, so an HTML page or `null` arrives here as it is.
    type Choice = Partial<OpenAI.Chat.Completions.ChatCompletion.Choice>;
    const body: Partial<OpenAI.Chat.Completions.ChatCompletion> = typeof response === 'object' && response !== null ? response : {};
    const choice: Choice | undefined = Array.isArray(body.choices) ? body.choices[0] : undefined;
    const content: unknown = choice?.message?.content;
    const text = typeof content === 'string' ? content : '';
    const finishReason = typeof choice?.finish_reason === 'string' ? choice.finish_reason : undefined;
    let usage = body.usage ? billableUsage(body.usage) : undefined;
    if (body.usage && !usage) {
      this.logger?.warn({ model: request.model, requestId }, 'model reported invalid usage; the turn is billed on estimated tokens');
    }
    // NOTE: some OpenAI-compatible servers omit usage; the counts below are estimates from our own tokenizer.
    usage ??= estimateUsage(request, text);
    return { text, usage, finishReason, requestId };
  }
}

const isTokenCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/**
 * Returns the reported usage when every count is a non-negative integer and cached tokens do
 * not exceed prompt tokens. Anything else (negative numbers, strings, null) cannot be billed.
 */
function billableUsage(reported: OpenAI.CompletionUsage): TokenUsage | undefined {
  const cachedTokens = reported.prompt_tokens_details?.cached_tokens ?? 0;
  const { prompt_tokens: promptTokens, completion_tokens: completionTokens } = reported;
  if (!isTokenCount(promptTokens) || !isTokenCount(completionTokens) || !isTokenCount(cachedTokens)) return undefined;
  if (cachedTokens > promptTokens) return undefined;
  return { promptTokens, cachedTokens, completionTokens };
}

function estimateUsage(request: CompletionRequest, text: string): TokenUsage {
  const counter = tokenCounterFor(request.model);
  return { promptTokens: counter.countMessages(request.messages), cachedTokens: 0, completionTokens: counter.count(text) };
}
