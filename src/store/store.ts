import type Keyv from 'keyv';
import type { Logger } from 'pino';

import type { Ledger } from './ledger.js';

/**
 * All shared state behind one STORE_URL: a key-value store (keyv) for history, the answer
 * cache, workspace settings and dedupe keys, atomic counters and claims, and the ledger.
 */
export interface Store {
  kv: Keyv;
  ledger: Ledger;
  /**
   * True when several processes may share this store (Redis). Components then skip the
   * in-memory copies that assume this process is the only writer.
   */
  shared: boolean;
  /** Adds `amount` to a counter and returns the new value, atomically across every process of the store. */
  increment(key: string, amount: number): Promise<number>;
  /** Returns a counter's value, 0 when it was never incremented. */
  counter(key: string): Promise<number>;
  /** Sets a key unless it exists, atomically; returns true for the caller that set it. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export class StoreError extends Error {
  override name = 'StoreError';
}

export interface StoreOptions {
  logger?: Logger;
}

/** Opens the store named by a `sqlite://PATH` or `redis://HOST:PORT` URL. */
export async function openStore(url: string, options: StoreOptions = {}): Promise<Store> {
  if (/^sqlite:\/\/.+/.test(url)) {
    const { openSqliteStore } = await import('./sqlite-store.js');
    return openSqliteStore(url.slice('sqlite://'.length));
  }
  if (/^rediss?:\/\/.+/.test(url)) {
    const { openRedisStore } = await import('./redis-store.js');
    return openRedisStore(url, options.logger);
  }
  throw new StoreError(`Unsupported STORE_URL ${JSON.stringify(url)}: expected sqlite://PATH or redis://HOST:PORT.`);
}
