import type Keyv from 'keyv';

import type { Store } from '../store/store.js';

/** How long a delivered message id is remembered, so a gateway replay after a resume is not answered twice. */
const SEEN_TTL_MS = 10 * 60 * 1000;

/**
 * How long the bot remembers its own messages and the threads it answered in. A reply to an
 * older answer starts a new conversation, and an older thread needs a new mention.
 */
export const LINK_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The adapter's records about Discord messages in the store. They track which delivered
 * messages were already handled and which threads the bot takes part in. They also map each
 * of the bot's messages to its conversation, so a reply to one continues that reply chain.
 */
export class ConversationLinks {
  private readonly kv: Keyv;

  constructor(private readonly store: Store) {
    this.kv = store.kv;
  }

  /**
   * Records a message id as handled and returns false when it was handled before. The claim
   * is atomic in the store, so of several processes sharing a store only one answers.
   */
  async claim(messageId: string): Promise<boolean> {
    return this.store.claim(`discord:seen:${messageId}`, SEEN_TTL_MS);
  }

  /** Returns the conversation one of the bot's messages belongs to, if the bot sent it. */
  async conversationOf(messageId: string): Promise<string | undefined> {
    return this.kv.get<string>(`discord:message:${messageId}`);
  }

  /** Records the bot's messages as part of a conversation. */
  async linkMessages(messageIds: readonly string[], conversationId: string): Promise<void> {
    if (messageIds.length === 0) return;
    await this.kv.setMany(messageIds.map((id) => ({ key: `discord:message:${id}`, value: conversationId, ttl: LINK_TTL_MS })));
  }

  /** Records that the bot answered in a thread, so later messages there need no mention. */
  async joinThread(threadId: string): Promise<void> {
    await this.kv.set(`discord:thread:${threadId}`, true, LINK_TTL_MS);
  }

  /**
   * Returns whether the bot takes part in a thread: it answered there, or the thread was
   * started from one of its messages (a thread started from a message has that message's id).
   */
  async takesPartIn(threadId: string): Promise<boolean> {
    if (await this.kv.get(`discord:thread:${threadId}`)) return true;
    return (await this.conversationOf(threadId)) !== undefined;
  }
}
