/** The platforms that deliver messages to the core. */
export type Platform = 'slack' | 'discord' | 'terminal';

/**
 * One user message, already translated out of a platform's event format.
 * Adapters fill it in, so the core never imports a platform SDK.
 */
export interface IncomingMessage {
  platform: Platform;
  /** Slack team id, Discord guild id, `dm` for Discord DMs, `local` in the terminal. */
  workspaceId: string;
  /** The unit whose history is windowed: a thread, a channel, a DM or the terminal session. */
  conversationId: string;
  userId: string;
  text: string;
  isDirectMessage: boolean;
  /** Mention strings of the bot, such as `<@U123>`, removed before the text is used. */
  botMentions?: string[];
  receivedAt?: Date;
}

/** The source of a reply. `answer` is a billed completion, whose text is a notice when the model returned none. */
export type ReplyKind = 'answer' | 'cache_hit' | 'notice' | 'model_error';

/** The core's reply to one turn, for the adapter to render. */
export interface TurnReply {
  kind: ReplyKind;
  /** Markdown text. Adapters convert it to the platform's format. */
  text: string;
  model?: string;
  costUsd: number;
}

export type Role = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: Role;
  content: string;
  name?: string;
}

export interface TokenUsage {
  /** All prompt tokens the API billed, cached tokens included. */
  promptTokens: number;
  /** The part of `promptTokens` served from the provider's prompt cache. */
  cachedTokens: number;
  completionTokens: number;
}

export type QueryClass = 'simple' | 'default' | 'complex';

/** The model and output-token limit chosen for a turn, with the reason. */
export interface Route {
  model: string;
  maxTokens: number;
  queryClass: QueryClass;
  /** A short machine-readable reason, such as `rule:greeting` or `workspace-pinned`. */
  reason: string;
}

/** The result of a turn. `empty_answer` is a completion without text, billed but neither shown nor kept in history. */
export type TurnOutcome = 'answered' | 'cache_hit' | 'model_error' | 'empty_answer' | 'too_long';

/** One ledger record: what a turn cost and why. */
export interface LedgerRecord {
  at: Date;
  platform: Platform;
  workspaceId: string;
  conversationId: string;
  userId: string;
  model: string;
  routeReason: string;
  queryClass: QueryClass;
  outcome: TurnOutcome;
  usage: TokenUsage;
  /** Cost in pico-dollars (1e-12 USD), so that sums of small turns stay exact. */
  costPico: number;
  cacheHit: boolean;
  /** The cost a cache hit avoided, in pico-dollars. */
  avoidedPico: number;
  /** Hash of the normalized question, absent for sensitive turns. */
  questionHash?: string;
  finishReason?: string;
  maxTokens: number;
  historyMessages: number;
  latencyMs: number;
}
