import { Tiktoken } from 'js-tiktoken/lite';
import cl100kBase from 'js-tiktoken/ranks/cl100k_base';
import o200kBase from 'js-tiktoken/ranks/o200k_base';

import { type EncodingName, REPLY_PRIMING_TOKENS, tokenCounterFor } from '../core/tokens.js';
import type { ChatMessage, TokenUsage } from '../core/types.js';
import type { ChatModel, Completion, CompletionRequest } from '../llm/chat-model.js';

/** OpenAI caches prompts of at least this many tokens. */
export const PROMPT_CACHE_MIN_TOKENS = 1024;
/** Past the minimum, the cached prefix grows in steps of this many tokens. */
export const PROMPT_CACHE_STEP_TOKENS = 128;
/**
 * Minutes a cached prefix stays active without use. OpenAI's prompt caching guide gives 5 to 10
 * minutes of inactivity, up to an hour off-peak. The upper end of the usual range leans toward
 * the baseline, whose long identical histories gain the most from the cache.
 */
export const DEFAULT_PROMPT_CACHE_MINUTES = 10;

/** A node of the prefix tree: when a request last used it, and its children per role, keyed by message content. */
interface PrefixNode {
  /** Milliseconds since the epoch. */
  lastUsedAt: number;
  children: Partial<Record<string, Map<string, PrefixNode>>>;
}

const newNode = (at: number): PrefixNode => ({ lastUsedAt: at, children: {} });

/**
 * An estimate of OpenAI's automatic prompt caching. A request of at least 1,024 prompt tokens
 * gets cached the longest run of leading messages it shares with an earlier request to the
 * same model, rounded down to a multiple of 128 tokens. A prefix expires once no request has
 * used it for longer than the inactivity limit, and every request that uses it refreshes it.
 * NOTE: prefixes are compared in whole messages and expire after a fixed time, while OpenAI's
 * cache compares tokens and its retention varies with load, so the estimate can be off either way.
 */
export class PromptCacheEstimate {
  private readonly roots = new Map<string, PrefixNode>();
  private readonly inactivityMs: number;
  private lastSweepAt = -Infinity;

  /** `inactivityMinutes` of 0 turns the estimate off: no request gets cached tokens. */
  constructor(inactivityMinutes = DEFAULT_PROMPT_CACHE_MINUTES) {
    if (!(inactivityMinutes >= 0)) throw new RangeError(`Invalid prompt cache inactivity limit ${inactivityMinutes}: expected 0 or more minutes.`);
    this.inactivityMs = inactivityMinutes * 60_000;
  }

  /**
   * Records a request sent at `at` and returns its cached tokens. `messageTokens` are the billed
   * tokens of each message. Requests must come in time order, as the replay sends them.
   */
  cachedTokens(model: string, messages: readonly ChatMessage[], messageTokens: readonly number[], promptTokens: number, at: Date): number {
    if (this.inactivityMs === 0) return 0;
    const now = at.getTime();
    this.sweepExpired(now);
    let node = this.roots.get(model);
    if (!node) this.roots.set(model, (node = newNode(now)));
    let sharedTokens = 0;
    let sharing = true;
    messages.forEach((message, i) => {
      let byContent = node!.children[message.role];
      if (!byContent) node!.children[message.role] = byContent = new Map();
      let child = byContent.get(message.content);
      // A request that uses a node also uses its parent, so an expired node has no live descendant
      // and the whole subtree can be replaced.
      if (child && this.isExpired(child, now)) child = undefined;
      if (child && sharing) sharedTokens += messageTokens[i]!;
      if (!child) {
        sharing = false;
        byContent.set(message.content, (child = newNode(now)));
      }
      child.lastUsedAt = Math.max(child.lastUsedAt, now);
      node = child;
    });
    if (promptTokens < PROMPT_CACHE_MIN_TOKENS || sharedTokens < PROMPT_CACHE_MIN_TOKENS) return 0;
    return Math.floor(sharedTokens / PROMPT_CACHE_STEP_TOKENS) * PROMPT_CACHE_STEP_TOKENS;
  }

  private isExpired(node: PrefixNode, now: number): boolean {
    return now - node.lastUsedAt > this.inactivityMs;
  }

  /**
   * Drops the expired nodes of every tree, at most once per inactivity limit, so that prefixes
   * no request visits again do not pile up. A sweep descends only into nodes used within the
   * limit, so its cost follows the recent requests, not the whole replay.
   */
  private sweepExpired(now: number): void {
    if (now - this.lastSweepAt <= this.inactivityMs) return;
    this.lastSweepAt = now;
    const pending = [...this.roots.values()];
    for (let node = pending.pop(); node; node = pending.pop()) {
      for (const byContent of Object.values(node.children)) {
        for (const [content, child] of byContent!) {
          if (this.isExpired(child, now)) byContent!.delete(content);
          else pending.push(child);
        }
      }
    }
  }
}

/** The model call of the current turn: model, usage and finish reason. */
export interface RecordedCall {
  model: string;
  usage: TokenUsage;
  finishReason: 'stop' | 'length';
}

/**
 * A chat model that returns recorded text: set the answer with `setAnswer` before each turn. Completion tokens are the answer's tokens, cut to the request's output limit with
 * finish reason `length`. Prompt tokens are the request's messages counted as the API bills
 * them, and cached tokens come from a PromptCacheEstimate.
 */
export class RecordedAnswerModel implements ChatModel {
  /** The call of the current turn; undefined when the turn did not reach the model. */
  lastCall?: RecordedCall;
  private answer = '';
  private readonly promptCache: PromptCacheEstimate;
  private readonly now: () => Date;
  /** Billed tokens of message contents per encoding and role, because full histories repeat the same messages every turn. */
  private readonly messageTokens = new Map<string, Map<string, number>>();

  /**
   * `now` is the time of each request, the session clock in a replay, and `promptCacheMinutes`
   * is the prompt cache estimate's inactivity limit, with 0 turning the estimate off.
   */
  constructor(options: { now?: () => Date; promptCacheMinutes?: number } = {}) {
    this.now = options.now ?? (() => new Date());
    this.promptCache = new PromptCacheEstimate(options.promptCacheMinutes);
  }

  setAnswer(text: string): void {
    this.answer = text;
    this.lastCall = undefined;
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    const counter = tokenCounterFor(request.model);
    const perMessage = request.messages.map((message) => {
      if (message.name !== undefined) return counter.countMessage(message);
      const known = this.knownTokens(`${counter.encoding}:${message.role}`);
      let tokens = known.get(message.content);
      if (tokens === undefined) known.set(message.content, (tokens = counter.countMessage(message)));
      return tokens;
    });
    const promptTokens = perMessage.reduce((sum, tokens) => sum + tokens, REPLY_PRIMING_TOKENS);
    const cachedTokens = this.promptCache.cachedTokens(request.model, request.messages, perMessage, promptTokens, this.now());

    let text = this.answer;
    let completionTokens = counter.count(text);
    let finishReason: RecordedCall['finishReason'] = 'stop';
    if (completionTokens > request.maxTokens) {
      text = cutToTokens(counter.encoding, text, request.maxTokens);
      completionTokens = request.maxTokens;
      finishReason = 'length';
    }
    const usage = { promptTokens, cachedTokens, completionTokens };
    this.lastCall = { model: request.model, usage, finishReason };
    return { text, usage, finishReason };
  }

  private knownTokens(encodingAndRole: string): Map<string, number> {
    let known = this.messageTokens.get(encodingAndRole);
    if (!known) this.messageTokens.set(encodingAndRole, (known = new Map()));
    return known;
  }

}

/** Encoders for cutting answers, built on the first cut because building one takes a fraction of a second. */
const encoders = new Map<EncodingName, Tiktoken>();

/** Returns the text of the first `maxTokens` tokens, which is what the API sends when the output limit cuts an answer. */
function cutToTokens(encoding: EncodingName, text: string, maxTokens: number): string {
  let encoder = encoders.get(encoding);
  if (!encoder) encoders.set(encoding, (encoder = new Tiktoken(encoding === 'o200k_base' ? o200kBase : cl100kBase)));
  return encoder.decode(encoder.encode(text, [], []).slice(0, maxTokens));
}
