import OpenAI from 'openai';

import { tokenCounterFor } from '../core/tokens.js';
import { type ChatModel, type Completion, type CompletionRequest, ModelCallError } from './chat-model.js';

export interface OpenAIChatModelOptions {
  apiKey?: string;
  baseURL?: string;
  timeoutMs: number;
  maxRetries: number;
}

/** Models that take `max_completion_tokens` and reject `max_tokens`: the o-series and gpt-5. */
const COMPLETION_TOKENS_MODELS = /^(o\d|gpt-5)/;

/** The chat model behind the official openai SDK, against OpenAI or any compatible server. */
export class OpenAIChatModel implements ChatModel {
  private readonly client: OpenAI;

  constructor(options: OpenAIChatModelOptions) {
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

    const choice = response.choices?.[0];
    const text = choice?.message?.content ?? '';
    const usage = response.usage;
    if (usage) {
      return {
        text,
        usage: {
          promptTokens: usage.prompt_tokens,
          cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
          completionTokens: usage.completion_tokens,
        },
        finishReason: choice?.finish_reason ?? undefined,
        requestId,
      };
    }
    // NOTE: some OpenAI-compatible servers omit usage; the counts below are estimates from our own tokenizer.
    const counter = tokenCounterFor(request.model);
    return {
      text,
      usage: { promptTokens: counter.countMessages(request.messages), cachedTokens: 0, completionTokens: counter.count(text) },
      finishReason: choice?.finish_reason ?? undefined,
      requestId,
    };
  }
}
