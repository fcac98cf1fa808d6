import type Keyv from 'keyv';

import type { EncodingName, TokenCounter } from './tokens.js';
import type { ChatMessage, Role } from './types.js';

/** A message as stored: its text, and its token count per encoding, computed once. */
export interface StoredMessage {
  role: Exclude<Role, 'system'>;
  content: string;
  at: number;
  tokens: Partial<Record<EncodingName, number>>;
}

interface ConversationHead {
  count: number;
}

/** The history window selected for one request. */
export interface HistoryWindow {
  messages: StoredMessage[];
  /** Tokens of the selected messages, per-message overhead included. */
  tokens: number;
  /** Messages stored in the conversation before this turn. */
  storedCount: number;
}

/**
 * The full history of every conversation, one key per message, so that a turn reads only the
 * messages its window can use however long the conversation is.
 */
export class HistoryStore {
  constructor(private readonly kv: Keyv) {}

  /**
   * Returns the newest stored messages that fit both limits, oldest first. The window stops at
   * the first message, going back in time, that would exceed `maxTokens`.
   */
  async window(conversation: string, maxMessages: number, maxTokens: number, counter: TokenCounter): Promise<HistoryWindow> {
    const head = (await this.kv.get<ConversationHead>(headKey(conversation))) ?? { count: 0 };
    const first = Math.max(0, head.count - maxMessages);
    if (maxMessages === 0 || head.count === 0) return { messages: [], tokens: 0, storedCount: head.count };
    const keys: string[] = [];
    for (let seq = first; seq < head.count; seq++) keys.push(messageKey(conversation, seq));
    const stored = await this.kv.getMany<StoredMessage>(keys);

    const selected: StoredMessage[] = [];
    let tokens = 0;
    for (let i = stored.length - 1; i >= 0; i--) {
      const message = stored[i];
      if (!message) break;
      const messageTokens = tokensOf(message, counter);
      if (tokens + messageTokens > maxTokens) break;
      tokens += messageTokens;
      selected.push(message);
    }
    selected.reverse();
    return { messages: selected, tokens, storedCount: head.count };
  }

  /** Appends messages to a conversation. Callers serialize appends per conversation. */
  async append(conversation: string, messages: StoredMessage[]): Promise<void> {
    const key = headKey(conversation);
    const head = (await this.kv.get<ConversationHead>(key)) ?? { count: 0 };
    await this.kv.setMany(messages.map((message, i) => ({ key: messageKey(conversation, head.count + i), value: message })));
    await this.kv.set(key, { count: head.count + messages.length });
  }

  /** Returns every stored message of a conversation, oldest first. */
  async all(conversation: string): Promise<StoredMessage[]> {
    const head = (await this.kv.get<ConversationHead>(headKey(conversation))) ?? { count: 0 };
    const keys = Array.from({ length: head.count }, (_, seq) => messageKey(conversation, seq));
    const stored = keys.length ? await this.kv.getMany<StoredMessage>(keys) : [];
    return stored.filter((message): message is StoredMessage => message !== undefined);
  }
}

/** Returns a stored message's token count for a counter's encoding, computing and keeping it on first use. */
export function tokensOf(message: StoredMessage, counter: TokenCounter): number {
  let tokens = message.tokens[counter.encoding];
  if (tokens === undefined) {
    tokens = counter.countMessage(message);
    message.tokens[counter.encoding] = tokens;
  }
  return tokens;
}

export function toChatMessage(message: StoredMessage): ChatMessage {
  return { role: message.role, content: message.content };
}

const headKey = (conversation: string) => `history:${conversation}`;
const messageKey = (conversation: string, seq: number) => `history:${conversation}:${seq}`;
