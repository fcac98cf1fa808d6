import type { Store } from '../store/store.js';
import { LruMap } from './lru-map.js';
import type { EncodingName, TokenCounter } from './tokens.js';
import type { ChatMessage, Role } from './types.js';

/** A message as stored: its text, and its token count per encoding, computed once. */
export interface StoredMessage {
  role: Exclude<Role, 'system'>;
  content: string;
  at: number;
  tokens: Partial<Record<EncodingName, number>>;
}

/** The history window selected for one request. */
export interface HistoryWindow {
  messages: StoredMessage[];
  /** Tokens of the selected messages, per-message overhead included. */
  tokens: number;
  /** Messages stored in the conversation before this turn. */
  storedCount: number;
}

interface RecentMessages {
  count: number;
  /** The newest stored messages, oldest first; at most `recentMessages` of them. */
  newest: StoredMessage[];
}

/** Conversations whose newest messages are kept in memory, and how many messages each. */
export interface HistoryMemoryOptions {
  conversations: number;
  recentMessages: number;
}

/**
 * The full history of every conversation, one key per message, so that a turn reads only the
 * messages its window can use however long the conversation is. The newest messages of recently
 * active conversations are also kept in memory, which saves the store reads on most turns.
 *
 * A store shared by several processes (Redis) gets no memory copy, and message numbers come
 * from the store's atomic counter, so two processes appending to one conversation never
 * overwrite each other's messages.
 */
export class HistoryStore {
  private readonly recent: LruMap<string, RecentMessages>;
  private readonly recentMessages: number;

  constructor(
    private readonly store: Store,
    memory: HistoryMemoryOptions = { conversations: 10_000, recentMessages: 10 },
  ) {
    this.recent = new LruMap(store.shared ? 0 : memory.conversations);
    this.recentMessages = memory.recentMessages;
  }

  /**
   * Returns the newest stored messages that fit both limits, oldest first. The window stops at
   * the first message, going back in time, that would exceed `maxTokens`.
   */
  async window(conversation: string, maxMessages: number, maxTokens: number, counter: TokenCounter): Promise<HistoryWindow> {
    const count = await this.count(conversation);
    if (maxMessages === 0 || count === 0) return { messages: [], tokens: 0, storedCount: count };
    const first = Math.max(0, count - maxMessages);
    const stored = await this.read(conversation, first, count);

    const selected: StoredMessage[] = [];
    let tokens = 0;
    for (let i = stored.length - 1; i >= 0; i--) {
      const message = stored[i];
      if (!message) continue;
      const messageTokens = tokensOf(message, counter);
      if (tokens + messageTokens > maxTokens) break;
      tokens += messageTokens;
      selected.push(message);
    }
    selected.reverse();
    return { messages: selected, tokens, storedCount: count };
  }

  /**
   * Appends messages to a conversation. Callers serialize appends per conversation within a
   * process. In a shared store each append reserves its message numbers first, and a reader
   * can briefly see a number whose message another process is still writing; windows skip it.
   */
  async append(conversation: string, messages: StoredMessage[]): Promise<void> {
    const write = (first: number) =>
      this.store.kv.setMany(messages.map((message, i) => ({ key: messageKey(conversation, first + i), value: message })));
    if (this.store.shared) {
      const first = (await this.store.increment(reservedKey(conversation), messages.length)) - messages.length;
      await write(first);
      await this.store.increment(countKey(conversation), messages.length);
      return;
    }
    const known = this.recent.get(conversation);
    const count = await this.count(conversation);
    const [, end] = await Promise.all([write(count), this.store.increment(countKey(conversation), messages.length)]);
    const newest = [...(known?.count === count ? known.newest : []), ...messages].slice(-this.recentMessages);
    this.recent.set(conversation, { count: end, newest });
  }

  /** Returns the number of stored messages of a conversation. */
  async count(conversation: string): Promise<number> {
    const known = this.recent.get(conversation);
    if (known) return known.count;
    const count = await this.store.counter(countKey(conversation));
    this.recent.set(conversation, { count, newest: [] });
    return count;
  }

  /** Reads the messages numbered from `first` up to but excluding `end`, from memory where it has them. */
  private async read(conversation: string, first: number, end: number): Promise<(StoredMessage | undefined)[]> {
    const known = this.recent.get(conversation);
    if (known && known.count === end && end - first <= known.newest.length) {
      return known.newest.slice(known.newest.length - (end - first));
    }
    const keys: string[] = [];
    for (let seq = first; seq < end; seq++) keys.push(messageKey(conversation, seq));
    return this.store.kv.getMany<StoredMessage>(keys);
  }

  /** Returns every stored message of a conversation, oldest first. */
  async all(conversation: string): Promise<StoredMessage[]> {
    const count = await this.count(conversation);
    const keys = Array.from({ length: count }, (_, seq) => messageKey(conversation, seq));
    const stored = keys.length ? await this.store.kv.getMany<StoredMessage>(keys) : [];
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

const countKey = (conversation: string) => `history-count:${conversation}`;
const reservedKey = (conversation: string) => `history-reserved:${conversation}`;
const messageKey = (conversation: string, seq: number) => `history:${conversation}:${seq}`;
