import type { ChatMessage, TokenUsage } from '../core/types.js';

export interface CompletionRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens: number;
}

export interface Completion {
  text: string;
  usage: TokenUsage;
  /** `stop`, or `length` when the output limit cut the answer. */
  finishReason?: string;
  requestId?: string;
}

/** A chat model: the OpenAI client in production, a recorded conversation in replays. */
export interface ChatModel {
  complete(request: CompletionRequest): Promise<Completion>;
}

/** A failed model call, with the HTTP status when the server answered. */
export class ModelCallError extends Error {
  override name = 'ModelCallError';

  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
