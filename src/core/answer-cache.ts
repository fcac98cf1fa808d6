import type Keyv from 'keyv';

import { KeyedMutex } from './keyed-mutex.js';

/** A cached answer and what producing it cost. */
export interface CachedAnswer {
  answer: string;
  model: string;
  /** The cost of the turn that produced the answer, in pico-dollars. */
  costPico: number;
  storedAt: number;
}

export interface AnswerCacheOptions {
  maxSize: number;
  ttlSeconds: number;
}

/**
 * The answer cache, one keyspace per workspace: a key is the workspace plus the hash of the
 * normalized question, so one workspace can never read another's answers. Each workspace
 * keeps at most `maxSize` answers; the oldest stored is evicted first.
 */
export class AnswerCache {
  private readonly mutex = new KeyedMutex();

  constructor(
    private readonly kv: Keyv,
    private readonly options: AnswerCacheOptions,
  ) {}

  /**
   * Returns the answer stored for a question, or undefined when there is none or it is older
   * than the TTL at `now` (ms since the epoch). The store's own expiry follows the wall clock,
   * so this check is what makes the TTL follow a session's injected clock.
   */
  async get(workspace: string, hash: string, now = Date.now()): Promise<CachedAnswer | undefined> {
    const cached = await this.kv.get<CachedAnswer>(entryKey(workspace, hash));
    if (cached && now - cached.storedAt >= this.options.ttlSeconds * 1000) return undefined;
    return cached;
  }

  /**
   * Stores an answer and evicts the oldest beyond the size bound.
   * NOTE: the eviction order is read, changed and written back under an in-process lock only,
   * so processes sharing a Redis store can each drop the other's newest entry from the order,
   * and a workspace can briefly hold a few answers more than `maxSize`.
   */
  async set(workspace: string, hash: string, answer: CachedAnswer): Promise<void> {
    await this.mutex.run(workspace, async () => {
      const indexKey = `cache-index:${workspace}`;
      const order = ((await this.kv.get<string[]>(indexKey)) ?? []).filter((stored) => stored !== hash);
      order.push(hash);
      const evicted = order.splice(0, Math.max(0, order.length - this.options.maxSize));
      await this.kv.set(entryKey(workspace, hash), answer, this.options.ttlSeconds * 1000);
      if (evicted.length > 0) await this.kv.deleteMany(evicted.map((stale) => entryKey(workspace, stale)));
      await this.kv.set(indexKey, order);
    });
  }
}

const entryKey = (workspace: string, hash: string) => `cache:${workspace}:${hash}`;
