import type { Logger } from 'pino';

import type { ChatModel, Completion } from '../llm/chat-model.js';
import { workspaceKey } from '../store/ledger.js';
import type { Store } from '../store/store.js';
import { AnswerCache } from './answer-cache.js';
import { type HistoryMemoryOptions, HistoryStore, type StoredMessage, toChatMessage } from './history.js';
import { KeyedMutex } from './keyed-mutex.js';
import { cleanMessageText, normalizeQuestion, questionHash } from './normalize.js';
import { costPico, picoToUsd, type PriceTable } from './pricing.js';
import type { Router } from './router.js';
import { detectPersonalData, type SensitiveReason } from './sensitive.js';
import { SettingsStore } from './settings.js';
import { REPLY_PRIMING_TOKENS, tokenCounterFor } from './tokens.js';
import type { ChatMessage, IncomingMessage, LedgerRecord, Route, TokenUsage, TurnReply } from './types.js';

/** The settings a ChatSession reads; the `chat` part of Config plus the DM rule. */
export interface ChatSessionOptions {
  systemPrompt: string;
  contextWindow: number;
  maxContextTokens: number;
  enableCache: boolean;
  cacheMaxSize: number;
  cacheTtlSeconds: number;
  dmSensitive: boolean;
}

export interface ChatSessionDependencies {
  options: ChatSessionOptions;
  store: Store;
  model: ChatModel;
  prices: PriceTable;
  router: Router;
  logger: Logger;
  now?: () => Date;
  /** The history kept in memory. HistoryStore's defaults apply when it is left out. */
  historyMemory?: HistoryMemoryOptions;
}

export const EMPTY_MESSAGE_REPLY = 'Ask me a question and I will answer it here.';
export const MODEL_UNAVAILABLE_REPLY = 'The model is unavailable right now, so I could not answer. Please try again in a minute.';
/** Shown in place of a completion without text, by the core and by adapters whose rendering leaves no text. */
export const EMPTY_ANSWER_REPLY = 'The model returned an empty answer. Please rephrase the question and try again.';

const NO_USAGE: TokenUsage = { promptTokens: 0, cachedTokens: 0, completionTokens: 0 };

interface TurnContext {
  message: IncomingMessage;
  text: string;
  workspace: string;
  conversation: string;
  /** Unset while the text is not scanned yet, and for a message rejected as too long, whose text is never scanned. */
  sensitiveReasons?: SensitiveReason[];
  hash?: string;
  route: Route;
  startedAt: number;
}

/**
 * The platform-neutral core: one call to `handle` is one turn. It windows the history,
 * routes, answers from the cache where it can, calls the model, and writes one ledger record.
 */
export class ChatSession {
  readonly history: HistoryStore;
  readonly cache: AnswerCache;
  readonly settings: SettingsStore;
  readonly prices: PriceTable;
  readonly router: Router;
  readonly store: Store;
  readonly options: ChatSessionOptions;
  private readonly model: ChatModel;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly conversations = new KeyedMutex();
  /** Tokens of the system prompt message per encoding; the prompt is fixed for the session's life. */
  private readonly systemTokens = new Map<string, number>();

  constructor(dependencies: ChatSessionDependencies) {
    this.options = dependencies.options;
    this.store = dependencies.store;
    this.model = dependencies.model;
    this.prices = dependencies.prices;
    this.router = dependencies.router;
    this.logger = dependencies.logger;
    this.now = dependencies.now ?? (() => new Date());
    this.history = new HistoryStore(this.store, dependencies.historyMemory);
    this.cache = new AnswerCache(this.store.kv, { maxSize: this.options.cacheMaxSize, ttlSeconds: this.options.cacheTtlSeconds });
    this.settings = new SettingsStore(this.store.kv);
  }

  /** Handles one user message and returns the reply to post. Turns of one conversation run one at a time. */
  async handle(message: IncomingMessage): Promise<TurnReply> {
    const text = cleanMessageText(message.text, message.botMentions);
    if (text === '') return { kind: 'notice', text: EMPTY_MESSAGE_REPLY, costUsd: 0 };
    const workspace = workspaceKey(message.platform, message.workspaceId);
    const conversation = `${workspace}:${message.conversationId}`;
    return this.conversations.run(conversation, () => this.runTurn(message, text, workspace, conversation));
  }

  private async runTurn(message: IncomingMessage, text: string, workspace: string, conversation: string): Promise<TurnReply> {
    const startedAt = performance.now();
    const settings = await this.settings.get(workspace);
    const turn: TurnContext = { message, text, workspace, conversation, route: this.router.route(text, settings.model), startedAt };

    const counter = tokenCounterFor(turn.route.model);
    const system: ChatMessage = { role: 'system', content: this.options.systemPrompt };
    const current: ChatMessage = { role: 'user', content: text };
    let systemTokens = this.systemTokens.get(counter.encoding);
    if (systemTokens === undefined) {
      systemTokens = counter.countMessage(system);
      this.systemTokens.set(counter.encoding, systemTokens);
    }
    const messageBudget = this.options.maxContextTokens - REPLY_PRIMING_TOKENS - systemTokens;
    const currentTokens = counter.countMessageUpTo(current, messageBudget);
    // The length check comes before the scan for personal data, so an oversized paste is rejected without reading all of it.
    if (currentTokens > messageBudget) return this.rejectTooLong(turn, messageBudget);

    const sensitiveReasons = detectPersonalData(text);
    if (message.isDirectMessage && this.options.dmSensitive) sensitiveReasons.unshift('direct-message');
    turn.sensitiveReasons = sensitiveReasons;
    if (sensitiveReasons.length === 0) {
      const normalized = normalizeQuestion(text);
      if (normalized !== '') turn.hash = questionHash(normalized);
      this.logger.debug({ workspace, conversation, user: message.userId, text }, 'turn started');
    }
    const fixedTokens = REPLY_PRIMING_TOKENS + systemTokens + currentTokens;

    if (this.options.enableCache && turn.hash) {
      const cached = await this.cache.get(workspace, turn.hash, this.now().getTime());
      if (cached) return this.answerFromCache(turn, cached.answer, cached.costPico, currentTokens);
    }

    const window = await this.history.window(
      conversation,
      this.options.contextWindow,
      this.options.maxContextTokens - fixedTokens,
      counter,
    );
    const messages = [system, ...window.messages.map(toChatMessage), current];

    let completion: Completion;
    try {
      completion = await this.model.complete({ model: turn.route.model, messages, maxTokens: turn.route.maxTokens });
    } catch (error) {
      this.logger.error({ err: error, ...this.turnIds(turn), model: turn.route.model }, 'model call failed');
      await this.writeLedger(turn, { outcome: 'model_error', usage: NO_USAGE, costPico: 0, historyMessages: window.messages.length });
      return { kind: 'model_error', text: MODEL_UNAVAILABLE_REPLY, model: turn.route.model, costUsd: 0 };
    }

    const price = this.prices.lookup(turn.route.model);
    if (!price) this.logger.warn({ model: turn.route.model }, 'model has no price; the turn is recorded at cost 0');
    const cost = price ? costPico(price, completion.usage) : 0;
    if (completion.text.trim() === '') return this.recordEmptyAnswer(turn, completion, cost, window.messages.length);
    // The ledger is written first: the money is spent, whatever happens to the writes below.
    await this.writeLedger(turn, {
      outcome: 'answered',
      usage: completion.usage,
      costPico: cost,
      finishReason: completion.finishReason,
      historyMessages: window.messages.length,
      requestId: completion.requestId,
    });
    const at = this.now().getTime();
    const answerTokens = counter.countMessage({ role: 'assistant', content: completion.text });
    await this.saveHistory(turn, [
      { role: 'user', content: text, at, tokens: { [counter.encoding]: currentTokens } },
      { role: 'assistant', content: completion.text, at, tokens: { [counter.encoding]: answerTokens } },
    ]);

    const cacheable =
      this.options.enableCache && turn.hash !== undefined && window.storedCount === 0 && completion.finishReason !== 'length';
    if (cacheable) {
      try {
        await this.cache.set(workspace, turn.hash!, { answer: completion.text, model: turn.route.model, costPico: cost, storedAt: at });
      } catch (error) {
        this.logger.error({ err: error, ...this.turnIds(turn) }, 'answer cache write failed');
      }
    }
    return { kind: 'answer', text: completion.text, model: turn.route.model, costUsd: picoToUsd(cost) };
  }

  private async answerFromCache(turn: TurnContext, answer: string, avoidedPico: number, userTokens: number): Promise<TurnReply> {
    const at = this.now().getTime();
    const counter = tokenCounterFor(turn.route.model);
    const answerTokens = counter.countMessage({ role: 'assistant', content: answer });
    await this.writeLedger(turn, { outcome: 'cache_hit', usage: NO_USAGE, costPico: 0, avoidedPico, historyMessages: 0 });
    await this.saveHistory(turn, [
      { role: 'user', content: turn.text, at, tokens: { [counter.encoding]: userTokens } },
      { role: 'assistant', content: answer, at, tokens: { [counter.encoding]: answerTokens } },
    ]);
    return { kind: 'cache_hit', text: answer, model: turn.route.model, costUsd: 0 };
  }

  /**
   * Appends a finished turn to its conversation. A failed write is logged and the answer still
   * goes out, because the user should not lose an answer that was already paid for.
   */
  private async saveHistory(turn: TurnContext, messages: StoredMessage[]): Promise<void> {
    try {
      await this.history.append(turn.conversation, messages);
    } catch (error) {
      this.logger.error({ err: error, ...this.turnIds(turn) }, 'history write failed');
    }
  }

  /**
   * Records a completion without text at what it was billed, and keeps it out of the history,
   * so that the next turn does not send an empty assistant message back to the model. The
   * reply is still of kind `answer`, because the completion was billed like one.
   */
  private async recordEmptyAnswer(turn: TurnContext, completion: Completion, cost: number, historyMessages: number): Promise<TurnReply> {
    await this.writeLedger(turn, {
      outcome: 'empty_answer',
      usage: completion.usage,
      costPico: cost,
      finishReason: completion.finishReason,
      historyMessages,
      requestId: completion.requestId,
    });
    return { kind: 'answer', text: EMPTY_ANSWER_REPLY, model: turn.route.model, costUsd: picoToUsd(cost) };
  }

  private async rejectTooLong(turn: TurnContext, limit: number): Promise<TurnReply> {
    await this.writeLedger(turn, { outcome: 'too_long', usage: NO_USAGE, costPico: 0, historyMessages: 0 });
    return {
      kind: 'notice',
      text:
        `Your message is too long: one message can use at most ${limit} tokens here ` +
        `(CHAT_MAX_CONTEXT_TOKENS is ${this.options.maxContextTokens}, including the system prompt). ` +
        'Please shorten it or split it into several messages.',
      costUsd: 0,
    };
  }

  private turnIds(turn: TurnContext) {
    return {
      platform: turn.message.platform,
      workspace: turn.workspace,
      conversation: turn.message.conversationId,
      user: turn.message.userId,
    };
  }

  private async writeLedger(
    turn: TurnContext,
    result: Pick<LedgerRecord, 'outcome' | 'usage' | 'costPico' | 'historyMessages'> &
      Partial<Pick<LedgerRecord, 'avoidedPico' | 'finishReason'>> & { requestId?: string },
  ): Promise<void> {
    const latencyMs = performance.now() - turn.startedAt;
    const record: LedgerRecord = {
      at: this.now(),
      platform: turn.message.platform,
      workspaceId: turn.message.workspaceId,
      conversationId: turn.message.conversationId,
      userId: turn.message.userId,
      model: turn.route.model,
      routeReason: turn.route.reason,
      queryClass: turn.route.queryClass,
      outcome: result.outcome,
      usage: result.usage,
      costPico: result.costPico,
      cacheHit: result.outcome === 'cache_hit',
      avoidedPico: result.avoidedPico ?? 0,
      questionHash: turn.hash,
      finishReason: result.finishReason,
      maxTokens: turn.route.maxTokens,
      historyMessages: result.historyMessages,
      latencyMs,
    };
    let recorded = true;
    try {
      await this.store.ledger.record(record);
    } catch (error) {
      // The turn line below still carries every figure of the record, so the spend can be recovered from the log.
      recorded = false;
      this.logger.error({ err: error, ...this.turnIds(turn) }, 'ledger write failed');
    }
    this.logger.info(
      {
        ...this.turnIds(turn),
        model: record.model,
        route: record.routeReason,
        outcome: record.outcome,
        promptTokens: record.usage.promptTokens,
        cachedTokens: record.usage.cachedTokens,
        completionTokens: record.usage.completionTokens,
        costUsd: picoToUsd(record.costPico),
        latencyMs: Math.round(latencyMs),
        cacheHit: record.cacheHit,
        // Absent for a message rejected as too long, because its text is not scanned.
        sensitive: turn.sensitiveReasons && turn.sensitiveReasons.length > 0,
        historyMessages: record.historyMessages,
        requestId: result.requestId,
        recorded,
      },
      'turn finished',
    );
  }
}
